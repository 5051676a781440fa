import {forTerminal} from '../format/terminal-text.js'
import {isPveLoginError, RealmError, TlsVerificationError} from '../errors.js'
import {cliHint} from './cli-wording.js'
import {docReferencesForCli} from './doc-topics.js'
import {EXIT, exitCodeFor} from './exit-codes.js'

/** What the CLI says about a failure: the exit code, lines for stderr, and the --json form for stdout. */
export interface ErrorReport {
  exitCode: number
  text: string
  json: {error: {code: string; message: string; hint?: string; fingerprint?: string; openidRealms?: string[]}}
}

/**
 * Turns any thrown value into words for a person. Our own errors carry a message and a hint; anything else is a
 * bug or an environment problem, shown as one line (the stack only with PVE_LOGIN_DEBUG=1).
 */
export function reportError(error: unknown, env: NodeJS.ProcessEnv): ErrorReport {
  if (isPveLoginError(error)) {
    // The library names its guides by file (docs/login.md); at the terminal, the command that shows them.
    const advised = cliHint(error)
    const hint = advised === undefined ? undefined : docReferencesForCli(advised)
    const json: ErrorReport['json'] = {error: {code: error.code, message: error.message}}
    if (hint) json.error.hint = hint
    if (error instanceof TlsVerificationError && error.fingerprint) json.error.fingerprint = error.fingerprint
    if (error instanceof RealmError) json.error.openidRealms = error.openidRealms
    const lines = [`pve-login: ${error.message}`]
    if (hint) lines.push(...hint.split('\n').map((line, index) => (index === 0 ? `  hint: ${line}` : `        ${line}`)))
    // A library's own words (D-Bus, the OS keychain) stay out of the way unless asked for.
    if (env['PVE_LOGIN_DEBUG'] === '1' && error.cause instanceof Error) lines.push(`  detail: ${error.cause.message}`)
    return {exitCode: exitCodeFor(error.code), text: forTerminal(lines.join('\n')) + '\n', json}
  }
  const message = error instanceof Error ? error.message : String(error)
  if (isUsageErrorFromParser(error)) {
    // A bad flag value or an unknown flag: the person's to fix, so exit 2 and no "report it" hint. Commands reword
    // these first (src/cli/usage-error.ts); this is for any that reach here unworded: one line, without oclif's footer.
    const line = message.replace(/\n?See more help with --help\s*$/, '').replace(/\s*\n\s*/g, ' ').trim()
    const hint = '`pve-login --help` lists the commands; `pve-login COMMAND --help` shows their flags.'
    return {exitCode: EXIT.usage, text: `pve-login: ${forTerminal(line)}\n  hint: ${hint}\n`, json: {error: {code: 'INVALID_INPUT', message: line, hint}}}
  }
  const debug = env['PVE_LOGIN_DEBUG'] === '1' && error instanceof Error && error.stack ? `\n${error.stack}` : ''
  return {
    exitCode: EXIT.failure,
    text: `pve-login: unexpected error: ${forTerminal(message + debug)}\n  hint: run again with PVE_LOGIN_DEBUG=1 for details, and report it if it persists.\n`,
    json: {error: {code: 'UNEXPECTED', message}},
  }
}

/**
 * oclif's flag parser throws its own errors (an option outside its list, an unknown flag, a missing argument), marked
 * with the exit code oclif means: 2 for usage. Duck-typed, so this module stays free of @oclif/core.
 */
function isUsageErrorFromParser(error: unknown): boolean {
  return error instanceof Error && (error as Error & {oclif?: {exit?: unknown}}).oclif?.exit === 2
}
