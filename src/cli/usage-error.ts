/**
 * oclif's parser speaks in its own words, over several lines ("Parsing --timeout \n\tExpected an integer…", "Missing 1
 * required arg:\npath …\nNote: --field allows multiple values…", "command login:extra-arg not found"). This turns each
 * of its errors, and a mistyped command, into pve-login's form: one line saying what is wrong, and a hint with the
 * closest flag or command and where to read more. All are usage errors (exit 2).
 *
 * Duck-typed on the parser's error class names and fields, so this module stays free of @oclif/core.
 */
import {InvalidInputError} from '../errors.js'
import {closestMatch} from './closest-match.js'

/** What the rewrite needs to know about the command whose flags were parsed. */
export interface CommandShape {
  /** `login`, `api`… */
  id: string
  /** Every spelling the command accepts: `--server`, `-s`, `--no-browser`. */
  flagNames: readonly string[]
  args: ReadonlyArray<{name: string; description?: string}>
}

interface ParserError extends Error {
  oclif?: {exit?: unknown}
  flags?: unknown
  args?: unknown
}

/** True for what oclif's parser throws about a command line (its errors carry exit code 2). */
export function isParserError(error: unknown): error is ParserError {
  return error instanceof Error && (error as ParserError).oclif?.exit === 2
}

/** The InvalidInputError to report instead of one of oclif's parser errors. */
export function explainParserError(error: ParserError, command: CommandShape): InvalidInputError {
  const help = `\`pve-login ${command.id} --help\``
  const kind = error.constructor.name
  const text = withoutOclifFooter(error.message)

  if (kind === 'NonExistentFlagsError' && Array.isArray(error.flags)) {
    const flags = error.flags.map(String)
    const first = flags[0] ?? ''
    // `--timout=30` is reported with its value; the flag's name is what was mistyped.
    const suggestion = closestMatch(first.split('=')[0]!, command.flagNames.filter((name) => name.startsWith('--')))
    const what = flags.length === 1 ? `${first} is not a flag of ${command.id}` : `${flags.join(', ')} are not flags of ${command.id}`
    return new InvalidInputError(`${what}.`, {hint: `${suggestion ? `Did you mean ${suggestion}? ` : ''}${help} lists its flags.`})
  }

  if (kind === 'UnexpectedArgsError' && Array.isArray(error.args)) {
    return unexpectedArguments(command, error.args.map(String))
  }

  if (kind === 'RequiredArgsError' && Array.isArray(error.args)) {
    const missing = (error.args as Array<{name?: string; description?: string}>).map((arg) => arg.name ?? 'an argument')
    const first = command.args.find((arg) => arg.name === missing[0])
    const names = missing.map((name) => name.toUpperCase()).join(' and ')
    const example = command.id === 'api' ? 'For example `pve-login api /nodes`; ' : ''
    return new InvalidInputError(`${command.id} needs ${names}${first?.description ? ` (${first.description})` : ''}.`, {hint: `${example}${help} shows more.`})
  }

  // "Parsing --timeout \n\tExpected an integer but received: abc": the flag, then oclif's reason, on one line.
  const parsing = /^Parsing (--[\w-]+)\s+([\s\S]*)$/.exec(text)
  if (parsing) {
    return new InvalidInputError(`${parsing[1]}: ${lowerFirst(oneLine(parsing[2]!))}.`.replace(/\.\.$/, '.'), {hint: `${help} says what ${parsing[1]} takes.`})
  }

  // "Expected --store=bogus to be one of: keychain, file, none"
  const option = /^Expected (--[\w-]+)=(.*) to be one of: (.*)$/s.exec(text)
  if (option) {
    return new InvalidInputError(`${option[1]} ${option[2]} is not one of ${option[3]!.trim()}.`, {hint: `${help} says what each value means.`})
  }

  // "The following errors occurred:\n  --login=true cannot also be provided when using --no-login\n  …"
  if (/^The following errors? occurred:/.test(text)) {
    const reasons = text.split('\n').slice(1).map((line) => stripAnsi(line).trim()).filter(Boolean)
    const conflict = /^(--[\w-]+)(?:=\S+)? cannot also be provided when using (--[\w-]+)/.exec(reasons[0] ?? '')
    const message = conflict ? `${conflict[1]} and ${conflict[2]} cannot be used together.` : `${reasons[0] ?? 'The flags do not fit together'}.`
    return new InvalidInputError(message, {hint: `${help} shows which flags go together.`})
  }

  return new InvalidInputError(`${oneLine(text)}${/[.!?]$/.test(oneLine(text)) ? '' : '.'}`, {hint: `${help} shows the usage.`})
}

/** `pve-login status extra`: the command takes no such word. */
export function unexpectedArguments(command: CommandShape, words: readonly string[]): InvalidInputError {
  const quoted = words.map((word) => `"${word}"`).join(', ')
  const takes = command.args.length === 0 ? `${command.id} takes no arguments` : `${command.id} takes ${command.args.map((arg) => arg.name.toUpperCase()).join(' ')} only`
  return new InvalidInputError(`${takes}; got ${quoted}.`, {hint: `A flag needs its dashes (--server, not server); \`pve-login ${command.id} --help\` lists the flags.`})
}

/** `pve-login lgoin`: not a command. */
export function unknownCommand(word: string, commandIds: readonly string[]): InvalidInputError {
  const suggestion = closestMatch(word, commandIds)
  return new InvalidInputError(`command ${word} not found.`, {
    hint: `${suggestion ? `Did you mean \`pve-login ${suggestion}\`? ` : ''}\`pve-login --help\` lists the commands; \`pve-login --server HOST --realm REALM\` logs in.`,
  })
}

function withoutOclifFooter(message: string): string {
  return stripAnsi(message.replace(/\n?See more help with --help\s*$/, '')).trim()
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing oclif's colour codes
  return text.replace(/\x1b\[[0-9;]*m/g, '')
}
