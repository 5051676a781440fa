/**
 * The one door between the CLI and its process: streams, terminal facts, environment, clock and exit code. Commands
 * and the helpers in src/cli/ take everything of the kind from here, so a test can run a command in-process with a
 * test IO (captured output, chosen terminal facts, its own environment), the way gh's `iostreams.Test()` does.
 */
import {fstatSync, writeSync} from 'node:fs'

import {forTerminal} from '../format/terminal-text.js'
import {EXIT} from './exit-codes.js'

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
    // Read through, not copied: processIO's streams are made on first use.
    get stdout() {
      return parts.stdout
    },
    get stderr() {
      return parts.stderr
    },
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
/** The process streams processIO() has handed out: what flushProcessOutput() waits for. */
const streamsInUse = new Set<NodeJS.WriteStream>()

/**
 * The real process's IO, built once (the oclif path and the fast path share it). Nothing in it touches a process
 * stream or node:tty until a command needs it: for a pipe, process.stdout loads node:net and the stream machinery,
 * node:tty loads node:net too, and together they cost a cached `env` some 6 ms, a quarter of `node -e 0` (measured on
 * 2 cores with Node 20). So the payload goes to fd 1 with a plain write, and stderr, stdin and the terminal facts
 * are made on first use.
 */
export function processIO(): CliIO {
  processIOInstance ??= createIO({
    stdout: directStdout(),
    get stderr() {
      return inUse(process.stderr)
    },
    stdin: () => process.stdin,
    // isTerminal, not process.stdin.isTTY: see CliIO.stdin() above.
    terminal: {
      get stdin() {
        return isTerminal(0)
      },
      get stdout() {
        return isTerminal(1)
      },
      get stderr() {
        return isTerminal(2)
      },
      get columns() {
        return isTerminal(2) ? inUse(process.stderr).columns : undefined
      },
      get color() {
        return isTerminal(2) && process.env['NO_COLOR'] === undefined
      },
    },
    env: process.env,
    platform: process.platform,
    setExitCode: (code) => {
      if (code !== 0) process.exitCode = code
    },
  })
  return processIOInstance
}

/** Resolves once what processIO() wrote is with the operating system, so the process may end. */
export function flushProcessOutput(): Promise<void> {
  return Promise.all([...streamsInUse].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve())))).then(() => undefined)
}

function inUse(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  streamsInUse.add(stream)
  return stream
}

/**
 * stdout as a plain synchronous write to fd 1, which is what process.stdout does on POSIX for files, pipes and
 * terminals anyway, without building the stream. A non-blocking descriptor that is full (EAGAIN) hands the rest to
 * process.stdout, which waits for it. On Windows, where pipe writes are asynchronous, it is process.stdout itself.
 */
function directStdout(): OutputStream {
  if (process.platform === 'win32') return stdoutStream()
  let stream: NodeJS.WriteStream | undefined
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const done = rest.find((item): item is (error?: Error | null) => void => typeof item === 'function')
    if (stream) return stream.write(chunk, done)
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    let written = 0
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written)
    } catch (error) {
      endIfStdoutClosed(error)
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
      stream = stdoutStream()
      return stream.write(bytes.subarray(written), done)
    }
    if (done) queueMicrotask(() => done())
    return true
  }
  return {write} as unknown as OutputStream
}

/** process.stdout, with a closed pipe ending the process as endIfStdoutClosed() says (the listener is added once). */
function stdoutStream(): NodeJS.WriteStream {
  if (!streamsInUse.has(process.stdout)) {
    process.stdout.on('error', (error) => {
      endIfStdoutClosed(error)
      throw error
    })
  }
  return inUse(process.stdout)
}

/**
 * A reader of stdout that went away (`pve-login status | true`, or a `head -1` that has had its line) is not an
 * error to report: nobody is left to read it, and the rest of the output has nowhere to go. The process ends at once,
 * quietly, with 141 (128 + SIGPIPE), what a program killed by SIGPIPE reports and `set -o pipefail` sees.
 */
function endIfStdoutClosed(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(EXIT.stdoutClosed)
}

/**
 * isatty(fd) without loading node:tty where the answer is plain: a terminal is a character device, so a pipe, a file
 * or a socket (what scripts give pve-login) is not one, and on Linux neither is a device of major number 1 (/dev/null,
 * /dev/zero: "memory devices" in the kernel's Documentation/admin-guide/devices.txt), which is what a job without
 * input gets. Anything else asks node:tty, which loads node:net (some 2 ms of a cached `env`).
 */
function isTerminal(fd: number): boolean {
  if (process.platform !== 'win32') {
    try {
      const stats = fstatSync(fd)
      if (!stats.isCharacterDevice()) return false
      if (process.platform === 'linux' && Math.floor(stats.rdev / 256) % 4096 === LINUX_MEMORY_DEVICES) return false
    } catch {
      return false
    }
  }
  return process.getBuiltinModule('node:tty').isatty(fd)
}

const LINUX_MEMORY_DEVICES = 1

/** `--json` anywhere among the command's own words: decided before parsing, so a parse error is JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json')
}
