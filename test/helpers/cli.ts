/**
 * Runs the built CLI (`node bin/run.js …`, so `npm run build` first) as a real process, the way a shell or a script
 * would, with an environment that holds nothing of the developer's own pve-login, Proxmox or proxy settings.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {cp, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {SandboxProcess} from './sandbox.js'

export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RUN_JS = join(REPOSITORY_ROOT, 'bin', 'run.js')

export interface CliResult {
  /** null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time from spawn to exit. */
  ms: number
}

export interface CliOptions {
  /** Added to the clean environment (PVE_LOGIN_HOME belongs here). A value of undefined removes a variable. */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. Default: stdin closed at once (not a terminal). */
  input?: string
  /** Kill with SIGKILL after this long; the test then sees signal SIGKILL. Default 30 s. */
  timeoutMs?: number
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams
  result: Promise<CliResult>
  /** Resolves once stdout (so far) matches; rejects if the process ends first. */
  stdoutMatches(pattern: RegExp): Promise<string>
}

/** The test process's environment without anything that would change pve-login's, a tool's or a shell's behaviour. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(PVE_LOGIN_|PROXMOX_|PM_|ROBOT_|XDG_)/.test(name)) continue
    if (/^(https?_proxy|no_proxy|all_proxy|browser|node_options|shell)$/i.test(name)) continue
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
  const child = spawn(process.execPath, [RUN_JS, ...args], {cwd: REPOSITORY_ROOT, env: cleanEnv(options.env)})
  let stdout = ''
  let stderr = ''
  const watchers = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
    for (const watcher of watchers) watcher()
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin.on('error', () => {})
  child.stdin.end(options.input ?? '')
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      for (const watcher of watchers) watcher()
      resolve({code, signal, stdout, stderr, ms: Date.now() - started})
    })
  })
  return {
    child,
    result,
    stdoutMatches: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout)) {
            watchers.delete(check)
            resolve(stdout)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(check)
            reject(new Error(`exited before stdout matched ${pattern}; stdout: ${stdout}; stderr: ${stderr}`))
          }
        }
        watchers.add(check)
        check()
      }),
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result
}

/** A fresh, empty PVE_LOGIN_HOME; remove it with removeHome. */
export function makeHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pve-login-cli-test-'))
}

/** A fresh PVE_LOGIN_HOME holding a copy of `source` (sessions, profile), so tests can share one login's result. */
export async function copyHome(source: string): Promise<string> {
  const home = await makeHome()
  await cp(source, home, {recursive: true})
  return home
}

export function removeHome(home: string): Promise<void> {
  return rm(home, {recursive: true, force: true})
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
