/**
 * The one door between the CLI and its process: streams, terminal facts, environment, clock and exit code. Commands
 * and the helpers in src/cli/ take everything of the kind from here, so a test can run a command in-process with a
 * test IO (captured output, chosen terminal facts, its own environment), the way gh's `iostreams.Test()` does.
 */
import {isatty} from 'node:tty'

import {forTerminal} from '../format/terminal-text.js'

/** Where output goes; `isTTY`/`columns` are read by the spinner (yocto-spinner) when it draws. */
export type OutputStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number}

export interface InputStream extends NodeJS.ReadableStream {
  destroy(): void
}

export interface TerminalFacts {
  /** Which of fds 0, 1, 2 are terminals. */
  stdin: boolean
  stdout: boolean
  stderr: boolean
  /** Width of the stderr terminal, when it is one. */
  columns: number | undefined
  /** Colour is welcome on stderr (a terminal, and NO_COLOR unset). */
  color: boolean
}

export interface CliIO {
  readonly stdout: OutputStream
  readonly stderr: OutputStream
  /**
   * stdin, created on first call: creating process.stdin takes over a terminal that exec's child should inherit,
   * so it is touched only when something really reads it (the paste prompt).
   */
  stdin(): InputStream
  readonly terminal: TerminalFacts
  readonly env: NodeJS.ProcessEnv
  readonly platform: NodeJS.Platform
  now(): Date
  /** The process's exit status once the command is done (0 leaves it as it is). */
  setExitCode(code: number): void
  /**
   * A line for a person on stderr. stdout is reserved for the payload (env, ticket, --json). Passed through
   * forTerminal: messages carry user and cluster names and PVE's words, which must never reach a terminal raw.
   */
  info(message: string): void
  /** `pve-login: warning: …` on stderr, through forTerminal like info. */
  warn(message: string): void
}

export interface CliIOParts {
  stdout: OutputStream
  stderr: OutputStream
  stdin: () => InputStream
  terminal: TerminalFacts
  env: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  now?: () => Date
  setExitCode: (code: number) => void
}

/** An IO from its parts, with the CLI's one voice on stderr. */
export function createIO(parts: CliIOParts): CliIO {
  return {
    stdout: parts.stdout,
    stderr: parts.stderr,
    stdin: parts.stdin,
    terminal: parts.terminal,
    env: parts.env,
    platform: parts.platform ?? process.platform,
    now: parts.now ?? (() => new Date()),
    setExitCode: parts.setExitCode,
    info: (message) => void parts.stderr.write(`${forTerminal(message)}\n`),
    warn: (message) => void parts.stderr.write(`pve-login: warning: ${forTerminal(message)}\n`),
  }
}

let processIOInstance: CliIO | undefined

/** The real process's IO, built once (the oclif path and the fast path share it). */
export function processIO(): CliIO {
  processIOInstance ??= createIO({
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: () => process.stdin,
    // isatty, not process.stdin.isTTY: see stdin() above.
    terminal: {
      stdin: isatty(0),
      stdout: isatty(1),
      stderr: isatty(2),
      columns: isatty(2) ? process.stderr.columns : undefined,
      color: isatty(2) && process.env['NO_COLOR'] === undefined,
    },
    env: process.env,
    platform: process.platform,
    setExitCode: (code) => {
      if (code !== 0) process.exitCode = code
    },
  })
  return processIOInstance
}

/** `--json` anywhere among the command's own words: decided before parsing, so a parse error is JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json')
}
