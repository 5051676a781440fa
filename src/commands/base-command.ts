import {Command} from '@oclif/core'

import {reportError} from '../cli/error-report.js'
import {INSECURE_WARNING, isInteractiveTerminal, warn} from '../cli/terminal.js'
import type {SessionOptions} from '../session.js'

interface ConnectionFlagValues {
  server?: string
  realm?: string
  profile?: string
  fingerprint?: string
  'ca-file'?: string
  insecure?: boolean
  store?: string
  json?: boolean
}

/**
 * The shared shape of pve-login's commands: run `execute()`, map any failure to an exit code and words on stderr
 * (or a JSON error on stdout with --json), and cancel cleanly on Ctrl-C.
 */
export abstract class PveLoginCommand extends Command {
  protected readonly abort = new AbortController()
  private jsonOutput = false

  protected abstract execute(): Promise<number | void>

  async run(): Promise<void> {
    this.jsonOutput = this.argv.includes('--json')
    const onSignal = () => this.abort.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      const code = await this.execute()
      if (typeof code === 'number' && code !== 0) process.exitCode = code
    } catch (error) {
      const report = reportError(error)
      if (this.jsonOutput) process.stdout.write(JSON.stringify(report.json) + '\n')
      else process.stderr.write(report.text)
      process.exitCode = report.exitCode
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }

  /** Library options from the shared connection flags. */
  protected connectionOptions(flags: ConnectionFlagValues): SessionOptions {
    if (flags.insecure) warn(INSECURE_WARNING)
    return {
      server: flags.server,
      realm: flags.realm,
      profile: flags.profile,
      store: flags.store,
      tls: {fingerprint: flags.fingerprint, caFile: flags['ca-file'], insecure: flags.insecure},
      signal: this.abort.signal,
      logger: {warn},
    }
  }

  /** --login forces a browser login when needed, --no-login forbids it, otherwise only a terminal allows it. */
  protected interactiveFrom(flags: {login?: boolean; 'no-login'?: boolean}): boolean {
    if (flags.login) return true
    if (flags['no-login']) return false
    return isInteractiveTerminal()
  }
}
