import {Command} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {runCommand} from '../cli/command-run.js'
import {connectionOptions, type ConnectionFlagValues} from '../cli/connection-options.js'
import {processIO, wantsJson, type CliIO} from '../cli/io.js'
import {explainParserError, isParserError, type CommandShape} from '../cli/usage-error.js'
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
        // oclif's parser errors (thrown by this.parse) in pve-login's words: one line, a hint with the closest flag,
        // exit 2 (src/cli/usage-error.ts). `--timeout abc`, `--timout`, `api` without PATH all land here.
        return this.execute().catch((error: unknown) => {
          // A command that failed (a refused parse, or a check before parsing such as exec's nested-exec guard) is
          // not one that forgot to parse: without this oclif warns "did not parse its arguments" outside production.
          this.parsed = true
          throw isParserError(error) ? explainParserError(error, this.shape()) : error
        })
      },
      {json: wantsJson(this.argv)},
    )
  }

  /** This command's id, flag spellings and arguments, for the parser-error rewrite. */
  private shape(): CommandShape {
    const command = this.constructor as typeof Command
    const flags = Object.entries(command.flags ?? {}) as Array<[string, {char?: string; allowNo?: boolean}]>
    return {
      id: this.id ?? command.id,
      flagNames: flags.flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : []), ...(flag.allowNo ? [`--no-${name}`] : [])]),
      args: Object.entries(command.args ?? {}).map(([name, arg]) => ({name, ...(arg.description ? {description: arg.description} : {})})),
    }
  }

  /** Library options from the shared connection flags. */
  protected connectionOptions(flags: ConnectionFlagValues): SessionOptions {
    return connectionOptions(flags, this.abort.signal, this.io)
  }
}
