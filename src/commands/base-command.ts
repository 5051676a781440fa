import {Command} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {runCommand} from '../cli/command-run.js'
import {connectionOptions, type ConnectionFlagValues} from '../cli/connection-options.js'
import {processIO, wantsJson, type CliIO} from '../cli/io.js'
import type {SessionOptions} from '../session/session-options.js'

/**
 * The shared shape of pve-login's commands: `execute()` returns a result, which src/cli/command-run.ts prints as
 * text or JSON; any failure becomes an exit code and words on stderr (or a JSON error on stdout with --json); Ctrl-C
 * cancels cleanly. Streams, terminal facts and the environment come from `io` only.
 */
export abstract class PveLoginCommand extends Command {
  /** The process's IO; a test puts its own here before running the command. */
  io: CliIO = processIO()
  protected readonly abort = new AbortController()

  protected abstract execute(): Promise<CommandResult>

  async run(): Promise<void> {
    await runCommand(
      this.io,
      (signal) => {
        signal.addEventListener('abort', () => this.abort.abort(), {once: true})
        return this.execute()
      },
      {json: wantsJson(this.argv)},
    )
  }

  /** Library options from the shared connection flags. */
  protected connectionOptions(flags: ConnectionFlagValues): SessionOptions {
    return connectionOptions(flags, this.abort.signal, this.io)
  }
}
