/**
 * The one way tests start the CLI as a process. Most command tests run in-process instead (helpers/in-process.ts);
 * this is for what only a process shows: exit status, signals, the fast path in bin/run.cjs, stdout purity.
 *
 * The built CLI (`node bin/run.cjs …`, so `npm run build` first) as a real process, the way a shell or a script would
 * run it, with an environment that holds nothing of the developer's own pve-login, Proxmox, proxy or display settings.
 * A test can also watch and talk to it while it runs (wait for output, write to stdin, send a signal), for what must
 * be reacted to mid-run: a login waiting for its browser, `exec` forwarding a signal. Plus the temp homes, sandbox
 * logins and request counts the command tests start from.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {existsSync, watch} from 'node:fs'
import {cp, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll} from '@jest/globals'

import type {SandboxProcess} from './sandbox.js'

export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RUN_JS = join(REPOSITORY_ROOT, 'bin', 'run.cjs')

/** `--require` it (nodeArgs) with BUILTIN_LOG set: the process records what it loaded (readLoadRecord reads it). */
export const LOAD_RECORDER = join(REPOSITORY_ROOT, 'test', 'fixtures', 'builtin-log', 'record.cjs')

export interface LoadRecord {
  /** Node's process.moduleLoadList: `NativeModule net`, `Internal Binding fs`, … */
  builtins: string[]
  /** The files in require.cache. */
  required: string[]
}

export async function readLoadRecord(log: string): Promise<LoadRecord> {
  return JSON.parse(await readFile(log, 'utf8')) as LoadRecord
}

export interface CliResult {
  /** null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time from spawn until the output closed. */
  ms: number
}

export interface CliOptions {
  /** Added to the clean environment (PVE_LOGIN_HOME belongs here). A value of undefined removes a variable. */
  env?: Record<string, string | undefined>
  /** Written to stdin before it is closed (or left open, with keepStdinOpen). */
  input?: string
  /** Keep stdin open for writeLine() (paste mode). Default: closed at once, like `< /dev/null` (not a terminal). */
  keepStdinOpen?: boolean
  /** Node options before bin/run.cjs, e.g. `['--import', hooks]` to watch which modules load. */
  nodeArgs?: readonly string[]
  /** SIGKILL after this long, so a hung CLI fails its test (with signal SIGKILL) instead of the whole run. Default 30 s. */
  killAfterMs?: number
  /** A command that runs node in its place, e.g. ['prlimit', '--nofile=160:160', '--'] for a file descriptor limit. */
  prefix?: readonly string[]
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams
  /** Resolves when the process has exited (its output pipes may still be open, held by a child it started). */
  exited: Promise<Pick<CliResult, 'code' | 'signal'>>
  /** Resolves when the process has exited and its stdout and stderr are closed: everything it printed is here. */
  finished: Promise<CliResult>
  /** Resolves with the match once stdout (so far) matches; rejects when the process ends without a match. */
  waitForStdout(pattern: RegExp): Promise<RegExpExecArray>
  /** Resolves with the match once stderr (so far) matches; rejects when the process ends without a match. */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>
  writeLine(text: string): void
  stderrSoFar(): string
}

/**
 * The test process's environment without anything that would change pve-login's, a browser launcher's, a proxy's or
 * a shell's behaviour: SHELL picks env's output format, DISPLAY and SSH_* whether a browser can appear at all.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(PVE_LOGIN_|PROXMOX_|PM_|ROBOT_|XDG_|SSH_)/.test(name)) continue
    if (/^(https?_proxy|no_proxy|all_proxy|browser|display|wayland_display|node_options|shell)$/i.test(name)) continue
    env[name] = value
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const started = Date.now()
  const [command, ...prefixArgs] = [...(options.prefix ?? []), process.execPath]
  const child = spawn(command!, [...prefixArgs, ...(options.nodeArgs ?? []), RUN_JS, ...args], {cwd: REPOSITORY_ROOT, env: cleanEnv(options.env)})
  let stdout = ''
  let stderr = ''
  // Each pending waitForStdout/waitForStderr; all of them look again whenever anything happens.
  const watchers = new Set<() => void>()
  const notifyWatchers = () => {
    for (const watcher of watchers) watcher()
  }
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
    notifyWatchers()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
    notifyWatchers()
  })
  child.stdin.on('error', () => undefined)
  if (options.input !== undefined) child.stdin.write(options.input)
  if (!options.keepStdinOpen) child.stdin.end()
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000)

  const exited = new Promise<Pick<CliResult, 'code' | 'signal'>>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
  const finished = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(killer)
      notifyWatchers()
      resolve({code, signal, stdout, stderr, ms: Date.now() - started})
    })
  })
  // The watchers must also hear about an exit whose pipes stay open.
  void exited.then(notifyWatchers)

  const waitFor = (streamName: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(streamName === 'stdout' ? stdout : stderr)
        if (match) {
          watchers.delete(check)
          resolve(match)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          watchers.delete(check)
          reject(new Error(`the CLI ended (${child.exitCode ?? child.signalCode}) before ${streamName} matched ${pattern}; stderr:\n${stderr}\nstdout:\n${stdout}`))
        }
      }
      watchers.add(check)
      check()
    })

  return {
    child,
    exited,
    finished,
    waitForStdout: (pattern) => waitFor('stdout', pattern),
    waitForStderr: (pattern) => waitFor('stderr', pattern),
    writeLine: (text) => child.stdin.write(`${text}\n`),
    stderrSoFar: () => stderr,
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).finished
}

/** A fresh, empty directory under the system temp dir (a PVE_LOGIN_HOME, or scratch space); remove it with removeDir. */
export function makeTempDir(prefix = 'pve-login-cli-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** A fresh temp dir holding a copy of the PVE_LOGIN_HOME `source` (sessions, profile), so tests can share one login's result. */
export async function copyHome(source: string): Promise<string> {
  const home = await makeTempDir()
  await cp(source, home, {recursive: true})
  return home
}

export function removeDir(path: string): Promise<void> {
  return rm(path, {recursive: true, force: true})
}

export interface TempHomes {
  /** A fresh, empty PVE_LOGIN_HOME. */
  newHome(): Promise<string>
  /** A fresh copy of the PVE_LOGIN_HOME `source` (see copyHome). */
  homeLike(source: string): Promise<string>
}

/**
 * The temp homes one test file makes, all removed after its last test. Registers a jest afterAll, so call it at the
 * top level of the test file.
 */
export function useTempHomes(prefix?: string): TempHomes {
  const homes: string[] = []
  const remember = (home: string): string => {
    homes.push(home)
    return home
  }
  afterAll(async () => {
    await Promise.all(homes.splice(0).map(removeDir))
  })
  return {
    newHome: async () => remember(await makeTempDir(prefix)),
    homeLike: async (source) => remember(await copyHome(source)),
  }
}

/** `options` for pve-login in `home` with the file store; `options.env` comes on top. */
export function inHome(home: string, options: CliOptions = {}): CliOptions {
  return {...options, env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file', ...options.env}}
}

/** pve-login in `home` with the file store, never a terminal: a real process (runInHome in helpers/in-process.ts runs it in-process). */
export function runCliInHome(home: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, inHome(home, options))
}

/**
 * Resolves with the path once the file exists (watching its directory, no polling); rejects after timeoutMs. For
 * what a browser command writes: pve-login never waits for its browser, so the CLI may exit first.
 */
export function fileAppears(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(path))
    const done = (error?: Error) => {
      clearTimeout(timer)
      watcher.close()
      if (error) reject(error)
      else resolve(path)
    }
    const timer = setTimeout(() => done(new Error(`${path} did not appear within ${timeoutMs} ms`)), timeoutMs)
    watcher.on('change', () => existsSync(path) && done())
    // It may have been written before the watch began.
    if (existsSync(path)) done()
  })
}

/** `login` flags for the sandbox: its working realm, the robot browser, the file store unless told otherwise. */
export function loginArgs(sandbox: SandboxProcess, options: {realm?: string; store?: 'file' | 'keychain'} = {}): string[] {
  return ['--server', sandbox.pveUrl, '--realm', options.realm ?? 'cli', '--fingerprint', sandbox.fingerprint, '--browser-command', sandbox.robotBrowser, '--store', options.store ?? 'file']
}

/**
 * Seeds `home` with a real session: `pve-login login` through the robot browser as `user`. Throws with the CLI's
 * output when the login fails, so a broken login shows up as itself and not as a puzzling later failure.
 */
export async function seedLogin(sandbox: SandboxProcess, home: string, options: {user?: string; realm?: string; profile?: string} = {}): Promise<CliResult> {
  const args = ['login', ...loginArgs(sandbox, {realm: options.realm}), ...(options.profile ? ['--profile', options.profile] : [])]
  const result = await runCli(args, {env: {PVE_LOGIN_HOME: home, ROBOT_USER: options.user ?? 'alice'}})
  if (result.code !== 0) throw new Error(`seeding login failed (${result.code}):\n${result.stderr}`)
  return result
}

/** How often `method path` reached the sandbox. */
export function countRequests(log: readonly {method: string; path: string}[], method: string, path: string): number {
  return log.filter((entry) => entry.method === method && entry.path === path).length
}

/**
 * Makes the file-store sessions under PVE_LOGIN_HOME `home` look like logins made when both clocks agreed: drops
 * the recorded server clock offset. Tests age a ticket by logging in with the sandbox clock turned back and then
 * turning it to real time; pve-login measures that offset at login (and would rightly treat the ticket as new), so
 * the seeded session must forget it to stand for "a ticket PVE issued that long ago".
 */
export function forgetClockOffsets(home: string): Promise<void> {
  return editStoredSessions(home, (record) => {
    delete record.clockOffsetSeconds
  })
}

/** Changes every file-store session under PVE_LOGIN_HOME `home` in place (seeding state a test needs, like an old login). */
export async function editStoredSessions(home: string, edit: (record: Record<string, unknown>) => void): Promise<void> {
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readdir(directory, {withFileTypes: true})) {
      const path = join(directory, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && entry.name.endsWith('.json') && directory.endsWith('sessions')) {
        const record = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
        edit(record)
        await writeFile(path, JSON.stringify(record, null, 2) + '\n', {mode: 0o600})
      }
    }
  }
  await walk(home)
}
