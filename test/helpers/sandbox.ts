/**
 * Runs the sandbox (test/sandbox/main.ts --json) as a child process for jest tests and talks to its controls.
 *
 * Why a child process: oidc-provider and openid-client use jose, whose `instanceof Uint8Array` checks fail
 * inside jest's VM contexts. The child also keeps the sandbox's crypto work off the test's event loop.
 *
 *   const sandbox = await startSandboxProcess()
 *   await sandbox.setClock(601)
 *   const log = await sandbox.requestLog()
 *   await sandbox.stop()
 */
import {spawn, type ChildProcessByStdio} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import type {Readable, Writable} from 'node:stream'
import {fileURLToPath} from 'node:url'

import {afterAll, afterEach, beforeAll} from '@jest/globals'

import type {SessionOptions} from '../../src/index.js'
import {httpsCall, type HttpsCallResult} from '../sandbox/https-call.js'
import type {IdpEvent} from '../sandbox/idp-event-log.js'
import type {StoredApiToken} from '../sandbox/pve-api-tokens.js'
import type {PveUser} from '../sandbox/pve-users.js'
import type {FaultKind, RequestLogEntry} from '../sandbox/request-log.js'
import type {SandboxReadyLine} from '../sandbox/sandbox.js'
import type {ControlState} from '../sandbox/sandbox-controls.js'
import type {SyslogEntry} from '../sandbox/sandbox-syslog.js'

export type {FaultKind, RequestLogEntry} from '../sandbox/request-log.js'
export type {IdpEvent} from '../sandbox/idp-event-log.js'
export type {StoredApiToken} from '../sandbox/pve-api-tokens.js'

export interface SandboxProcessOptions {
  /** How long every 401 takes; default 0 so tests stay fast (PVE itself waits about 3 s). */
  authDelayMs?: number
  /** Give up when the ready line has not arrived within this time. */
  startTimeoutMs?: number
}

export interface PveCallOptions {
  method?: string
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>
  /** Sent as application/json. */
  json?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
}

export interface SandboxProcess extends SandboxReadyLine {
  /** The CA file's contents, for clients that take PEM text. */
  ca: string
  /** Shifts the sandbox PVE clock (tickets, CSRF tokens, auth-state expiry); 0 = real time. */
  setClock(offsetSeconds: number): Promise<void>
  /** Delay before every API answer. */
  setLatency(ms: number): Promise<void>
  /** The next `count` requests to `path` fail: 500, 502 (HTML from a proxy), reset (socket destroyed), hang. */
  fault(path: string, kind: FaultKind, count?: number, message?: string): Promise<void>
  /** Shifts the HTTP Date header on top of the sandbox clock. */
  setDateOffset(offsetSeconds: number): Promise<void>
  /** The clustername login answers carry (any text, escapes included); null for a standalone node. */
  setClusterName(name: string | null): Promise<void>
  requestLog(): Promise<RequestLogEntry[]>
  idpEvents(): Promise<IdpEvent[]>
  /** false: a PVE before 6.2, without API tokens (their paths answer 501, PVEAPIToken headers are ignored). */
  setApiTokens(enabled: boolean): Promise<void>
  /** Error bodies without `message`, as before pve-http-server 5.2.0. */
  setOldPve(enabled: boolean): Promise<void>
  /** Clears request log, IdP events and syslog. */
  resetLog(): Promise<void>
  /** The real reasons behind "authentication failure" that PVE only logs. */
  syslog(): Promise<SyslogEntry[]>
  setUserEnabled(userid: string, enable: boolean): Promise<void>
  /** What `/version` reports, e.g. `8.4.1`; PVE 7 and 8 then accept RS256 ID tokens only. Reset: 9.1.1. */
  setPveVersion(version: string): Promise<void>
  /** Only these realms exist (null: all); `defaultRealm` is marked default instead of pam. */
  setRealms(visible: string[] | null, defaultRealm?: string | null): Promise<void>
  users(): Promise<PveUser[]>
  /** Every API token at the sandbox PVE (user, id, expire, privsep, comment; never the secret). */
  apiTokens(): Promise<StoredApiToken[]>
  state(): Promise<ControlState>
  /** Clock, latency, faults, old-PVE mode back to defaults; logs cleared. */
  reset(): Promise<void>
  /** One HTTPS request to the sandbox PVE (path like `/api2/json/version`), trusting its certificate. */
  pve(path: string, options?: PveCallOptions): Promise<HttpsCallResult>
  stop(): Promise<void>
}

type SandboxChild = ChildProcessByStdio<Writable, Readable, Readable>

const MAIN_SCRIPT = fileURLToPath(new URL('../sandbox/main.ts', import.meta.url))
const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url))

function waitForReadyLine(child: SandboxChild, timeoutMs: number, stderr: () => string): Promise<SandboxReadyLine> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => finish(new Error(`sandbox not ready after ${timeoutMs} ms; stderr:\n${stderr()}`)), timeoutMs)
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8')
      const newline = stdout.indexOf('\n')
      if (newline < 0) return
      try {
        finish(undefined, JSON.parse(stdout.slice(0, newline)) as SandboxReadyLine)
      } catch {
        finish(new Error(`sandbox printed something other than its ready line: ${stdout.slice(0, 200)}`))
      }
    }
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`sandbox exited (${signal ?? code}) before it was ready; stderr:\n${stderr()}`))
    function finish(error: Error | undefined, ready?: SandboxReadyLine): void {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      if (error) {
        child.kill('SIGKILL')
        reject(error)
      } else resolve(ready!)
    }
    child.stdout.on('data', onData)
    child.once('exit', onExit)
  })
}

function waitForExit(child: SandboxChild, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export async function startSandboxProcess(options: SandboxProcessOptions = {}): Promise<SandboxProcess> {
  // jest's --experimental-vm-modules is for jest, not for the sandbox.
  const env = {...process.env}
  delete env.NODE_OPTIONS
  const child: SandboxChild = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN_SCRIPT, '--json', '--auth-delay-ms', String(options.authDelayMs ?? 0)],
    {cwd: REPOSITORY_ROOT, env, stdio: ['pipe', 'pipe', 'pipe']},
  )
  let stderrText = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderrText = (stderrText + chunk.toString('utf8')).slice(-20_000)
  })
  const ready = await waitForReadyLine(child, options.startTimeoutMs ?? 30_000, () => stderrText)
  // After the ready line, stdout must stay silent; drain it so a stray write cannot block the child.
  child.stdout.resume()
  const ca = await readFile(ready.caFile, 'utf8')

  async function control<T>(method: 'GET' | 'POST', name: string, body?: unknown): Promise<T> {
    const result = await httpsCall(`${ready.pveUrl}/__sandbox/${name}`, {
      method,
      ca,
      headers: {'content-type': 'application/json'},
      ...(body === undefined ? {} : {body: JSON.stringify(body)}),
    })
    if (result.status !== 200) throw new Error(`sandbox control ${method} ${name} failed: ${result.status} ${result.body}`)
    return JSON.parse(result.body) as T
  }

  let stopped: Promise<void> | undefined
  return {
    ...ready,
    ca,
    setClock: async (offsetSeconds) => void (await control('POST', 'clock', {offsetSeconds})),
    setLatency: async (ms) => void (await control('POST', 'latency', {ms})),
    fault: async (path, kind, count = 1, message) => void (await control('POST', 'fault', {path, kind, count, ...(message === undefined ? {} : {message})})),
    setDateOffset: async (offsetSeconds) => void (await control('POST', 'date-offset', {offsetSeconds})),
    setClusterName: async (name) => void (await control('POST', 'cluster-name', {name})),
    requestLog: () => control<RequestLogEntry[]>('GET', 'requests'),
    idpEvents: () => control<IdpEvent[]>('GET', 'idp-events'),
    setOldPve: async (enabled) => void (await control('POST', 'old-pve', {enabled})),
    setApiTokens: async (enabled) => void (await control('POST', 'api-tokens', {enabled})),
    resetLog: async () => void (await control('POST', 'reset-log')),
    syslog: () => control<SyslogEntry[]>('GET', 'syslog'),
    setUserEnabled: async (userid, enable) => void (await control('POST', 'user', {userid, enable})),
    users: () => control<PveUser[]>('GET', 'users'),
    setPveVersion: async (version) => void (await control('POST', 'pve-version', {version})),
    setRealms: async (visible, defaultRealm = null) => void (await control('POST', 'realms', {visible, default: defaultRealm})),
    apiTokens: () => control<StoredApiToken[]>('GET', 'api-tokens'),
    state: () => control<ControlState>('GET', 'state'),
    reset: async () => void (await control('POST', 'reset')),
    pve: (path, callOptions = {}) => {
      const headers: Record<string, string> = {...callOptions.headers}
      let body: string | undefined
      if (callOptions.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        body = new URLSearchParams(callOptions.form).toString()
      } else if (callOptions.json !== undefined) {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(callOptions.json)
      }
      return httpsCall(`${ready.pveUrl}${path}`, {
        method: callOptions.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        ca,
        ...(body === undefined ? {} : {body}),
        ...(callOptions.timeoutMs === undefined ? {} : {timeoutMs: callOptions.timeoutMs}),
      })
    },
    stop: () => {
      // Closing stdin is the sandbox's cue to shut down; SIGKILL only if it does not manage within 5 s.
      stopped ??= (async () => {
        child.stdin.end()
        await waitForExit(child, 5_000)
      })()
      return stopped
    },
  }
}

/**
 * The sandbox one test file shares: started before its first test, reset after each (clock, faults, logs, tokens;
 * `resetAfterEach: false` leaves them), stopped after its last. Registers jest hooks, so call it at the top level of
 * the file, before the hooks that use the sandbox. The object it returns is filled in once the sandbox has started:
 * use it in hooks and tests, not at the top level.
 */
export function useSandbox(options: SandboxProcessOptions & {resetAfterEach?: boolean} = {}): SandboxProcess {
  const {resetAfterEach = true, ...processOptions} = options
  const sandbox = {} as SandboxProcess
  let started = false
  beforeAll(async () => {
    Object.assign(sandbox, await startSandboxProcess(processOptions))
    started = true
  })
  if (resetAfterEach) afterEach(() => sandbox.reset())
  afterAll(async () => {
    if (started) await sandbox.stop()
  })
  return sandbox
}

/**
 * Library options (getSession, login) for the sandbox's working `cli` realm: the file store, the certificate pinned,
 * the robot browser. `env` is the session's whole environment (its PVE_LOGIN_HOME among it); `extra` comes on top.
 */
export function sandboxSessionOptions(sandbox: SandboxProcess, env: NodeJS.ProcessEnv, extra: SessionOptions = {}): SessionOptions {
  return {
    server: sandbox.pveUrl,
    realm: 'cli',
    store: 'file',
    tls: {fingerprint: sandbox.fingerprint},
    browserCommand: sandbox.robotBrowser,
    env,
    ...extra,
  }
}
