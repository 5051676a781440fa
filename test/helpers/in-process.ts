/**
 * A pve-login command run inside the test process: the real command classes, parsed by oclif (a Config loaded from
 * the repository root), with a test IO instead of the process's streams (captured output, chosen terminal facts,
 * an environment of its own). No build and no process start, so most command tests run here; what only a real
 * process shows (exit status as a shell sees it, signals, the fast path in bin/run.cjs, stdout purity) stays in
 * test/helpers/cli.ts.
 */
import {PassThrough, Writable} from 'node:stream'

import {Config} from '@oclif/core'

import {withDefaultCommand} from '../../bin/default-command.js'
import {createIO, type CliIO, type InputStream, type TerminalFacts} from '../../src/cli/io.js'
import {COMMANDS} from '../../src/commands/index.js'
import {cleanEnv, inHome, loginArgs, REPOSITORY_ROOT, type CliResult} from './cli.js'
import type {SandboxProcess} from './sandbox.js'

export interface TestIOOptions {
  /** Added to the clean environment (see cleanEnv); undefined removes a variable. */
  env?: Record<string, string | undefined>
  /** Which fds count as terminals (default: none, as under `< /dev/null` in a pipe). */
  terminal?: Partial<TerminalFacts>
  /** What stdin holds; it ends after it. */
  input?: string
}

export interface TestIO extends CliIO {
  stdoutText(): string
  stderrText(): string
  /** The exit code the command set (0 when it set none). */
  exitCode(): number
  /** Feeds a line to stdin (for the paste prompt). */
  writeLine(text: string): void
}

function capture(): {stream: Writable; text: () => string} {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString()
      callback()
    },
  })
  return {stream, text: () => text}
}

export function testIO(options: TestIOOptions = {}): TestIO {
  const stdout = capture()
  const stderr = capture()
  const stdin = new PassThrough()
  if (options.input !== undefined) stdin.end(options.input)
  let exitCode = 0
  const io = createIO({
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: () => stdin as unknown as InputStream,
    terminal: {stdin: false, stdout: false, stderr: false, columns: undefined, color: false, ...options.terminal},
    env: cleanEnv(options.env),
    setExitCode: (code) => {
      if (code !== 0) exitCode = code
    },
  })
  return {...io, stdoutText: stdout.text, stderrText: stderr.text, exitCode: () => exitCode, writeLine: (text) => stdin.write(`${text}\n`)}
}

let config: Promise<Config> | undefined
/** The run in progress: runs take turns, because each one owns process.env while it runs. */
let queue: Promise<unknown> = Promise.resolve()

/**
 * Runs `pve-login ARGV` in-process and resolves as runCli would. oclif's parser reads env-backed flags from
 * process.env, and so does library code not handed an env, so process.env is the test IO's environment while the
 * command runs; runs therefore take turns (Promise.all of several runs is fine, they just do not overlap).
 */
export function runInProcess(argv: readonly string[], options: TestIOOptions & {io?: TestIO} = {}): Promise<CliResult> {
  const run = queue.then(() => runNow(argv, options))
  queue = run.catch(() => undefined)
  return run
}

async function runNow(argv: readonly string[], options: TestIOOptions & {io?: TestIO}): Promise<CliResult> {
  const io = options.io ?? testIO(options)
  const [id, ...args] = withDefaultCommand([...argv]) as [string, ...string[]]
  const Command = COMMANDS[id as keyof typeof COMMANDS]
  if (!Command) throw new Error(`runInProcess: no command ${id}`)
  config ??= Config.load(REPOSITORY_ROOT)
  const started = Date.now()
  const saved = process.env
  process.env = io.env
  try {
    const command = new Command(args, await config)
    // oclif sets the id when it loads a command by name; messages name the command by it.
    command.id = id
    command.io = io
    // What oclif's Command.run does after constructing: init, run, finally.
    await (command as unknown as {_run(): Promise<unknown>})._run()
  } finally {
    process.env = saved
  }
  return {code: io.exitCode(), signal: null, stdout: io.stdoutText(), stderr: io.stderrText(), ms: Date.now() - started}
}

/** runCliInHome (helpers/cli.ts), in-process: pve-login in `home` with the file store; `options.env` comes on top. */
export function runInHome(home: string, args: readonly string[], options: TestIOOptions = {}): Promise<CliResult> {
  return runInProcess(args, {...options, env: inHome(home, options).env})
}

/** seedLogin (helpers/cli.ts), in-process: `pve-login login` through the robot browser as `user`. */
export async function seedLoginInProcess(sandbox: SandboxProcess, home: string, options: {user?: string; realm?: string; profile?: string} = {}): Promise<CliResult> {
  const args = ['login', ...loginArgs(sandbox, {realm: options.realm}), ...(options.profile ? ['--profile', options.profile] : [])]
  const result = await runInProcess(args, {env: {PVE_LOGIN_HOME: home, ROBOT_USER: options.user ?? 'alice'}})
  if (result.code !== 0) throw new Error(`seeding login failed (${result.code}):\n${result.stderr}`)
  return result
}
