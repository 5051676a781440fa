import {InvalidInputError} from '../errors.js'

export interface ExecCommandLine {
  /** pve-login's own flags, for the flag parser. */
  own: string[]
  /** The command to run and its arguments, exactly as given. */
  command: string[]
}

/**
 * Splits `pve-login exec [FLAGS] [--] CMD ARGS...` by hand. oclif's parser is not used for the command part: it
 * reorders repeated arguments (`echo a b a` comes back as `echo a a b`) and would read the command's own options
 * (`curl -s`) as ours. Everything after the first `--`, or from the first word that is neither a flag nor a flag's
 * value, is the command, untouched.
 *
 * @param valueFlags flags that take a value as the next word: long names with `--`, short ones with `-`.
 */
export function splitExecCommandLine(argv: readonly string[], valueFlags: ReadonlySet<string>): ExecCommandLine {
  const own: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string
    if (word === '--') return checked({own, command: argv.slice(index + 1)})
    if (!word.startsWith('-') || word === '-') return checked({own, command: argv.slice(index)})
    own.push(word)
    // `--for=bpg` carries its value; `--for bpg` and `-s host` take the next word.
    if (!word.includes('=') && valueFlags.has(word) && index + 1 < argv.length) own.push(argv[++index] as string)
  }
  return checked({own, command: []})
}

function checked(line: ExecCommandLine): ExecCommandLine {
  if (line.command.length === 0 || line.command[0] === '') {
    throw new InvalidInputError('No command to run.', {hint: 'Put the command after --, e.g. pve-login exec -- terraform plan'})
  }
  return line
}
