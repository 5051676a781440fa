import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:net'
import {setTimeout as delay} from 'node:timers/promises'
import {join} from 'node:path'

import {afterEach, describe, expect, test} from '@jest/globals'
import {fetch} from 'undici'

import {
  AbortedError,
  AuthenticationFailedError,
  getSession,
  isPveLoginError,
  login,
  LoginRequiredError,
  PveApiError,
  RENEW_BEFORE_SECONDS,
  type LoginProgress,
  type Session,
  type SessionOptions,
  TlsVerificationError,
  UnreachableError,
} from '../src/index.js'
import {cleanEnv, forgetClockOffsets, useTempHomes} from './helpers/cli.js'
import {sandboxSessionOptions, useSandbox, type RequestLogEntry} from './helpers/sandbox.js'

/**
 * The library's public face (`import {getSession} from 'pve-login'`) against the sandbox: every way to a Session,
 * every typed error a deployment script can branch on, and the Session's requests, dispatcher and keepAlive.
 * Only the package entry is imported; each test gets its own PVE_LOGIN_HOME and the file store.
 */
const sessions: Session[] = []
// Registered before useSandbox's afterEach, so sessions (and their keepAlive timers) close before the sandbox resets.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()))
})
const sandbox = useSandbox()
const {newHome} = useTempHomes('pve-login-library-')

/** Options for the sandbox's working `cli` realm, robot browser signing in as alice, in a fresh home and a clean env. */
async function sandboxOptions(extra: SessionOptions = {}): Promise<SessionOptions> {
  return sandboxSessionOptions(sandbox, cleanEnv({PVE_LOGIN_HOME: await newHome()}), extra)
}

function track(session: Session): Session {
  sessions.push(session)
  return session
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection, got a value')
}

/** Polls the sandbox's request log until `check` holds: the only place a request from another process shows. */
async function waitForLog(what: string, check: (log: RequestLogEntry[]) => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check(await sandbox.requestLog())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await delay(50)
  }
}

const calls = (log: RequestLogEntry[]) => log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)
const renewals = (log: RequestLogEntry[]) => log.filter((entry) => entry.method === 'POST' && entry.path === '/api2/json/access/ticket')

describe('getSession: the ways to a session', () => {
  test('interactive: logs in through the browser and returns a session for alice@cli', async () => {
    const session = track(await getSession(await sandboxOptions({interactive: true})))

    expect(session.source).toBe('login')
    expect(session.username).toBe('alice@cli')
    expect(session.ticket).toMatch(/^PVE:alice@cli:[0-9A-F]{8}::/)
    expect(session.csrfToken).toMatch(/^[0-9A-F]{8}:\S+$/)
    expect(session.clusterName).toBe('sandbox')
    expect(session.storeKind).toBe('file')
    const lifetime = (session.expiresAt.getTime() - Date.now()) / 1000
    expect(lifetime).toBeGreaterThan(7200 - 120)
    expect(lifetime).toBeLessThanOrEqual(7200)
    expect(await session.get('/version')).toMatchObject({release: '9.1'})
  })

  test('cached: a second getSession answers from the store without asking PVE', async () => {
    const options = await sandboxOptions({interactive: true})
    const first = track(await getSession(options))
    await sandbox.resetLog()

    const second = track(await getSession({...options, interactive: false}))

    expect(second.source).toBe('cache')
    expect(second.ticket).toBe(first.ticket)
    expect(await sandbox.requestLog()).toEqual([])
    // The log does record this client's calls: the empty log above is not a blind spot.
    await second.get('/version')
    expect(calls(await sandbox.requestLog())).toEqual(['GET /api2/json/version 200'])
  })

  test('renewed: a ticket with less than minValidSeconds left is renewed silently, with one POST /access/ticket', async () => {
    const options = await sandboxOptions()
    await sandbox.setClock(-5000)
    const old = track(await login(options))
    await forgetClockOffsets(options.env!.PVE_LOGIN_HOME!)
    await sandbox.setClock(0)
    await sandbox.resetLog()

    const session = track(await getSession({...options, interactive: false}))

    expect(session.source).toBe('renewed')
    expect(session.ticket).not.toBe(old.ticket)
    expect(session.issuedAt.getTime() - old.issuedAt.getTime()).toBeGreaterThanOrEqual(5000_000)
    expect(calls(renewals(await sandbox.requestLog()))).toEqual(['POST /api2/json/access/ticket 200'])
    expect(await sandbox.requestLog()).toHaveLength(1)
    // The renewed ticket was stored: the next caller takes it from the cache.
    expect(track(await getSession({...options, interactive: false})).source).toBe('cache')
  })

  test('non-interactive with nothing cached: LoginRequiredError, and PVE is not contacted', async () => {
    const error = await caught(getSession(await sandboxOptions({interactive: false})))

    expect(error).toBeInstanceOf(LoginRequiredError)
    expect(isPveLoginError(error) && error.code).toBe('LOGIN_REQUIRED')
    expect(await sandbox.requestLog()).toEqual([])
  })
})

describe('getSession: a lock left by a killed process', () => {
  test('a holder killed with -9 in the middle of a renewal: the next getSession takes over once the lock is stale (lockStaleMs)', async () => {
    // A ticket PVE issued 5000 s ago: 2140 s of use left, under the default minValidSeconds, so getSession renews.
    const options = await sandboxOptions({interactive: true})
    await sandbox.setClock(-5000)
    track(await getSession(options))
    await forgetClockOffsets(options.env!.PVE_LOGIN_HOME!)
    await sandbox.setClock(0)
    await sandbox.fault('/api2/json/access/ticket', 'hang')
    await sandbox.resetLog()
    const holder = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'session-holder.ts'), sandbox.pveUrl, 'cli', sandbox.fingerprint], {
      env: options.env,
      stdio: 'ignore',
    })
    const killed = new Promise<NodeJS.Signals | null>((resolve) => holder.once('exit', (_code, signal) => resolve(signal)))
    await waitForLog('the holder renews and its request hangs', (log) => log.some((entry) => entry.method === 'POST' && entry.path === '/api2/json/access/ticket'))
    holder.kill('SIGKILL')
    expect(await killed).toBe('SIGKILL')

    const warnings: string[] = []
    const session = track(await getSession({...options, interactive: false, lockStaleMs: 2000, logger: {warn: (message) => warnings.push(message)}}))
    expect(session.source).toBe('renewed')
    expect(warnings).toContain('Another pve-login is logging in or renewing this session; waiting for it…')
    expect((await sandbox.requestLog()).filter((entry) => entry.path === '/api2/json/access/ticket').map((entry) => entry.status)).toEqual([null, 200])
    expect((await session.get('/version'))).toMatchObject({version: expect.any(String)})
  })
})

describe('getSession: loginNode', () => {
  test('the login goes to the named node while the session belongs to the server (a load balancer in front)', async () => {
    const balancer = `https://127.0.0.1:${await freePort()}`
    const options = await sandboxOptions({interactive: true, server: balancer, loginNode: sandbox.pveUrl})
    // login(), not getSession(): nothing but the login may reach the node; the session is for the balancer's name.
    const session = track(await login(options))
    expect({server: session.server, username: session.username}).toEqual({server: balancer, username: 'alice@cli'})
  })
})

describe('getSession: clock skew', () => {
  test("a ticket issued more than 5 minutes in this computer's future: one warning naming the clocks, and the session works", async () => {
    const warnings: string[] = []
    await sandbox.setClock(900)
    const session = track(await getSession(await sandboxOptions({interactive: true, logger: {warn: (message) => warnings.push(message)}})))
    expect(warnings.filter((message) => /clock/.test(message))).toHaveLength(1)
    await expect(session.get('/version')).resolves.toBeDefined()
  })
})

describe('getSession: typed errors', () => {
  test('a realm PVE refuses at login (misconf): AuthenticationFailedError', async () => {
    const error = await caught(getSession(await sandboxOptions({realm: 'misconf', interactive: true})))

    expect(error).toBeInstanceOf(AuthenticationFailedError)
    expect((error as AuthenticationFailedError).code).toBe('AUTHENTICATION_FAILED')
    expect(calls(await sandbox.requestLog())).toContain('POST /api2/json/access/openid/login 401')
  })

  test("the sandbox's self-signed certificate without a pin: TlsVerificationError carrying its fingerprint", async () => {
    const error = await caught(getSession(await sandboxOptions({tls: {}, interactive: true})))

    expect(error).toBeInstanceOf(TlsVerificationError)
    expect((error as TlsVerificationError).code).toBe('TLS_VERIFICATION')
    expect((error as TlsVerificationError).fingerprint).toBe(sandbox.fingerprint)
    expect(await sandbox.requestLog()).toEqual([])
  })

  test('a port nobody listens on: UnreachableError', async () => {
    const port = await freePort()
    const error = await caught(getSession(await sandboxOptions({server: `https://127.0.0.1:${port}`, interactive: true})))

    expect(error).toBeInstanceOf(UnreachableError)
    expect((error as UnreachableError).code).toBe('UNREACHABLE')
  })

  test("PVE's 4xx and 5xx answers to session.get: PveApiError with the status and PVE's message", async () => {
    const session = track(await getSession(await sandboxOptions({interactive: true})))

    const badParameter = await caught(session.get('/nodes/pve1/qemu', {full: 'perhaps'}))
    expect(badParameter).toBeInstanceOf(PveApiError)
    expect((badParameter as PveApiError).code).toBe('PVE_API_ERROR')
    expect((badParameter as PveApiError).status).toBe(400)
    expect((badParameter as PveApiError).errors).toEqual({full: expect.stringContaining("type check ('boolean') failed")})

    const noSuchNode = await caught(session.get('/nodes/nosuchnode/qemu'))
    expect(noSuchNode).toBeInstanceOf(PveApiError)
    expect((noSuchNode as PveApiError).status).toBe(500)
    expect((noSuchNode as PveApiError).pveMessage).toContain("hostname lookup 'nosuchnode' failed")
  })
})

describe('Session', () => {
  test('post with the CSRF token: clones the template and the task reports OK', async () => {
    const session = track(await getSession(await sandboxOptions({interactive: true})))

    const upid = await session.post<string>('/nodes/pve1/qemu/9000/clone', {newid: 123, name: 'from-library', full: true})
    expect(upid).toMatch(/^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmclone:9000:alice@cli:$/)
    expect(await session.get(`/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`)).toMatchObject({status: 'stopped', exitstatus: 'OK'})
    expect(await session.get<{vmid: number; name: string}[]>('/nodes/pve1/qemu')).toContainEqual(expect.objectContaining({vmid: 123, name: 'from-library'}))
  })

  test("session.dispatcher and session.headers() work with undici's fetch; without the dispatcher the certificate is refused", async () => {
    const session = track(await getSession(await sandboxOptions({interactive: true})))

    const version = await fetch(`${session.server}/api2/json/version`, {dispatcher: session.dispatcher, headers: session.headers()})
    expect(version.status).toBe(200)
    expect(await version.json()).toMatchObject({data: {release: '9.1'}})

    const clone = await fetch(`${session.server}/api2/json/nodes/pve1/qemu/9000/clone`, {
      method: 'POST',
      dispatcher: session.dispatcher,
      headers: {...session.headers('POST'), 'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({newid: '124'}).toString(),
    })
    expect(clone.status).toBe(200)
    expect(((await clone.json()) as {data: string}).data).toMatch(/^UPID:pve1:/)

    // GET headers carry no CSRF token, which PVE demands for writes.
    const withoutCsrf = await fetch(`${session.server}/api2/json/nodes/pve1/qemu/9000/clone`, {
      method: 'POST',
      dispatcher: session.dispatcher,
      headers: {...session.headers(), 'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({newid: '125'}).toString(),
    })
    expect(withoutCsrf.status).toBe(401)
    await withoutCsrf.arrayBuffer()

    const plain = await caught(fetch(`${session.server}/api2/json/version`, {headers: session.headers()}))
    expect(String((plain as Error).cause)).toMatch(/certificate/i)
  })

  test('keepAlive over a simulated 3-hour run: every request authenticated, renewed twice in the background', async () => {
    let offsetSeconds = 0
    const now = () => new Date(Date.now() + offsetSeconds * 1000)
    const session = track(await getSession(await sandboxOptions({interactive: true, now})))
    let renewed = 0
    const waiters: {count: number; resolve: () => void}[] = []
    const backgroundErrors: unknown[] = []
    session.keepAlive({
      intervalMs: 10,
      onRenewed: () => {
        renewed += 1
        for (const waiter of waiters.filter((w) => renewed >= w.count)) waiter.resolve()
      },
      onError: (error) => backgroundErrors.push(error),
    })
    const renewalNumber = (count: number) =>
      renewed >= count ? Promise.resolve() : within(5000, `background renewal ${count}`, new Promise<void>((resolve) => waiters.push({count, resolve})))
    await sandbox.resetLog()

    const tickets = new Set([session.ticket])
    let expected = 0
    for (let step = 1; step <= 12; step++) {
      // Both clocks move together: PVE judges the ticket's age by its clock, the session decides to renew by its own.
      await sandbox.setClock(step * 15 * 60)
      offsetSeconds = step * 15 * 60
      const left = (session.expiresAt.getTime() - now().getTime()) / 1000 - 60
      if (left < RENEW_BEFORE_SECONDS) await renewalNumber(++expected)
      expect(await session.get('/version')).toMatchObject({release: '9.1'})
      tickets.add(session.ticket)
    }

    expect(expected).toBe(2)
    expect(renewed).toBe(2)
    expect(backgroundErrors).toEqual([])
    expect(tickets.size).toBe(3)
    const log = await sandbox.requestLog()
    expect(calls(renewals(log))).toEqual(['POST /api2/json/access/ticket 200', 'POST /api2/json/access/ticket 200'])
    expect(calls(log.filter((entry) => entry.path === '/api2/json/version'))).toEqual(Array(12).fill('GET /api2/json/version 200'))
  })

  test('a failed renewal does not fail a request the old ticket can still make; an expired ticket fails with AuthenticationFailedError', async () => {
    let offsetSeconds = 0
    const now = () => new Date(Date.now() + offsetSeconds * 1000)
    const warnings: string[] = []
    const session = track(await getSession(await sandboxOptions({interactive: true, now, logger: {warn: (message) => warnings.push(message)}})))
    const moveClocks = async (seconds: number) => {
      await sandbox.setClock(seconds)
      offsetSeconds = seconds
    }
    await sandbox.resetLog()

    // 100 minutes on: renewal is due (under 30 minutes left) but the ticket is still good; the renewal hits a proxy's 502.
    await moveClocks(6000)
    await sandbox.fault('/api2/json/access/ticket', '502')
    expect(await session.get('/version')).toMatchObject({release: '9.1'})
    expect(warnings).toEqual([expect.stringMatching(/^Renewing the ticket failed \(PVE answered 502.*\); using it for its last 1[89] minutes\.$/)])
    expect(calls(await sandbox.requestLog())).toEqual(['POST /api2/json/access/ticket 502', 'GET /api2/json/version 200'])

    // Past its 2 hours PVE refuses to renew it: only a new login helps.
    await moveClocks(7300)
    const error = await caught(session.get('/version'))
    expect(error).toBeInstanceOf(AuthenticationFailedError)
    expect(calls(renewals(await sandbox.requestLog())).at(-1)).toBe('POST /api2/json/access/ticket 401')
  })

  test('close() stops the session: later requests and keepAlive are refused', async () => {
    const session = await getSession(await sandboxOptions({interactive: true}))
    session.keepAlive({intervalMs: 10})
    await session.close()
    await session.close()

    await expect(session.get('/version')).rejects.toMatchObject({code: 'INVALID_INPUT'})
    expect(() => session.keepAlive()).toThrow(/closed/)
  })
})

describe('AbortSignal', () => {
  test('aborting while the login waits for the browser: AbortedError, and the callback port is free again', async () => {
    const controller = new AbortController()
    const events: LoginProgress['type'][] = []
    let redirectUrl: string | undefined
    const options = await sandboxOptions({
      interactive: true,
      // A browser that never comes back.
      browserCommand: 'true',
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event.type)
        if (event.type === 'listening') redirectUrl = event.redirectUrl
        if (event.type === 'waiting') controller.abort()
      },
    })

    const error = await caught(getSession(options))

    expect(error).toBeInstanceOf(AbortedError)
    expect((error as AbortedError).code).toBe('ABORTED')
    expect(events).toEqual(['checking-realm', 'listening', 'browser-opened', 'waiting'])
    const port = Number(new URL(redirectUrl!).port)
    expect(port).toBeGreaterThan(0)
    await listenOn(port).then(closeServer)
    // The session lock was released too: the next caller is told at once that a login is needed.
    expect(await caught(getSession({...options, interactive: false, signal: undefined, onProgress: undefined}))).toBeInstanceOf(LoginRequiredError)
  })

  test("aborting a request PVE does not answer: AbortedError at once, and the session's next request still works", async () => {
    const session = track(await getSession(await sandboxOptions({interactive: true})))
    await sandbox.fault('/version', 'hang', 1)
    const controller = new AbortController()
    const pending = session.get('/version', undefined, {signal: controller.signal})
    // Abort only once the request reached PVE: the sandbox has then used up the fault.
    while ((await sandbox.state()).faults.length > 0) await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    expect(await caught(pending)).toBeInstanceOf(AbortedError)
    await expect(session.get<{release: string}>('/version')).resolves.toMatchObject({release: expect.any(String)})
  })
})

/** Fails instead of hanging until jest's timeout when something that should happen by itself does not. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

async function freePort(): Promise<number> {
  const server = await listenOn(0)
  const {port} = server.address() as {port: number}
  await closeServer(server)
  return port
}
