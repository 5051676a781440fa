/**
 * The built CLI (`node bin/run.js`, so `npm run build` first) as a real process that a test can watch and talk to
 * while it runs: wait for a line on stderr, write to stdin, send a signal. For the login tests, which must react to
 * what the CLI prints while it waits for the browser.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {existsSync, watch} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RUN_JS = join(REPOSITORY_ROOT, 'bin', 'run.js')

export interface CliOutcome {
  /** null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliProcessOptions {
  /** Added to the clean environment; undefined removes a variable. PVE_LOGIN_HOME belongs here. */
  env?: Record<string, string | undefined>
  /** Keep stdin open for writeLine() (paste mode). Default: closed at once, like `< /dev/null`. */
  keepStdinOpen?: boolean
  /** SIGKILL after this long, so a hung CLI fails its test instead of the whole run. Default 30 s. */
  killAfterMs?: number
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams
  /** Resolves when the process has exited (its output pipes may still be open, held by a child it started). */
  exited: Promise<Pick<CliOutcome, 'code' | 'signal'>>
  /** Resolves when the process has exited and its stdout and stderr are closed: everything it printed is here. */
  finished: Promise<CliOutcome>
  /** Resolves with the match once stderr (so far) matches; rejects when the process ends without a match. */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>
  writeLine(text: string): void
  stderrSoFar(): string
}

/** The test's environment without anything that changes pve-login's, a browser launcher's or a proxy's behaviour. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(PVE_LOGIN_|PROXMOX_|ROBOT_|XDG_|SSH_)/.test(name)) continue
    if (/^(https?_proxy|no_proxy|all_proxy|browser|display|wayland_display|node_options)$/i.test(name)) continue
    env[name] = value
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

export function startCli(args: readonly string[], options: CliProcessOptions = {}): CliProcess {
  const child = spawn(process.execPath, [RUN_JS, ...args], {cwd: REPOSITORY_ROOT, env: cleanEnv(options.env)})
  let stdout = ''
  let stderr = ''
  const stderrWatchers = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
    for (const watcher of stderrWatchers) watcher()
  })
  child.stdin.on('error', () => undefined)
  if (!options.keepStdinOpen) child.stdin.end()
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000)

  const exited = new Promise<Pick<CliOutcome, 'code' | 'signal'>>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
  const finished = new Promise<CliOutcome>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(killer)
      for (const watcher of stderrWatchers) watcher()
      resolve({code, signal, stdout, stderr})
    })
  })
  // The watchers must also hear about an exit whose pipes stay open.
  void exited.then(() => {
    for (const watcher of stderrWatchers) watcher()
  })

  return {
    child,
    exited,
    finished,
    waitForStderr: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stderr)
          if (match) {
            stderrWatchers.delete(check)
            resolve(match)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            stderrWatchers.delete(check)
            reject(new Error(`the CLI ended (${child.exitCode ?? child.signalCode}) before stderr matched ${pattern}; stderr:\n${stderr}\nstdout:\n${stdout}`))
          }
        }
        stderrWatchers.add(check)
        check()
      }),
    writeLine: (text) => child.stdin.write(`${text}\n`),
    stderrSoFar: () => stderr,
  }
}

export function runCli(args: readonly string[], options: CliProcessOptions = {}): Promise<CliOutcome> {
  return startCli(args, options).finished
}

/** A fresh directory under the system temp dir; remove it with removeDir. */
export function makeTempDir(prefix = 'pve-login-cli-login-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export function removeDir(path: string): Promise<void> {
  return rm(path, {recursive: true, force: true})
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
