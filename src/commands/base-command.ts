import {Command} from '@oclif/core'

import {runCommand} from '../cli/command-run.js'
import {connectionOptions, type ConnectionFlagValues} from '../cli/connection-options.js'
import type {SessionOptions} from '../session/session-options.js'

/**
 * The shared shape of pve-login's commands: run `execute()`, map any failure to an exit code and words on stderr
 * (or a JSON error on stdout with --json), and cancel cleanly on Ctrl-C.
 */
export abstract class PveLoginCommand extends Command {
  protected readonly abort = new AbortController()

  protected abstract execute(): Promise<number | void>

  async run(): Promise<void> {
    await runCommand(
      (signal) => {
        signal.addEventListener('abort', () => this.abort.abort(), {once: true})
        return this.execute()
      },
      {json: this.argv.includes('--json')},
    )
  }

  /** Library options from the shared connection flags. */
  protected connectionOptions(flags: ConnectionFlagValues): SessionOptions {
    return connectionOptions(flags, this.abort.signal)
  }
}
