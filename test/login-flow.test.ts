import {createServer, get} from 'node:http'
import {PassThrough} from 'node:stream'
import {describe, expect, jest, test} from '@jest/globals'
import {AbortedError, AuthenticationFailedError, InvalidInputError, LoginRequiredError, PveApiError, RealmError} from '../src/errors.js'
import {browserLogin, readPveState, type LoginClient, type LoginOptions, type LoginProgress} from '../src/login/login-flow.js'
import type {CompleteLoginParams, PveRealm, TicketResponse} from '../src/pve/pve-client.js'
import {failure} from './helpers/failure.js'

const REALMS: PveRealm[] = [
  {realm: 'pam', type: 'pam', comment: 'Linux PAM'},
  {realm: 'pve', type: 'pve'},
  {realm: 'cli', type: 'openid'},
  {realm: 'web', type: 'openid', default: true},
]
const TICKET: TicketResponse = {
  username: 'alice@cli',
  ticket: 'PVE:alice@cli:6650A1B2::c2lnbmF0dXJl',
  CSRFPreventionToken: '6650A1B2:dG9rZW4',
  clustername: 'lab',
}

/** A stand-in for PVE: auth-url builds an IdP URL the way PVE does (state is its JSON), login hands out TICKET. */
class FakePve implements LoginClient {
  readonly server = 'https://pve.test:8006'
  readonly trust = {mode: 'system'} as const
  readonly calls: string[] = []
  readonly logins: CompleteLoginParams[] = []
  state = JSON.stringify({csrf_token: '3q2-7wAAAAAAAAAAAAAAAA', realm: 'cli'})
  loginResult: () => Promise<TicketResponse> = async () => TICKET
  authUrlResult: ((realm: string, redirectUrl: string) => Promise<string>) | undefined

  async domains(): Promise<PveRealm[]> {
    this.calls.push('domains')
    return REALMS
  }
  async authUrl(realm: string, redirectUrl: string): Promise<string> {
    this.calls.push(`auth-url ${realm} ${redirectUrl}`)
    if (this.authUrlResult) return this.authUrlResult(realm, redirectUrl)
    const query = new URLSearchParams({response_type: 'code', client_id: 'pve-cli', state: this.state, redirect_uri: redirectUrl, scope: 'openid email profile'})
    return `https://idp.test/auth?${query}`
  }
  async completeLogin(params: CompleteLoginParams): Promise<TicketResponse> {
    this.calls.push('login')
    this.logins.push(params)
    return this.loginResult()
  }
  async close(): Promise<void> {
    this.calls.push('close')
  }
}

interface BrowserVisit {
  status: number
  body: string
}

function visit(url: URL | string): Promise<BrowserVisit & {location: string | undefined}> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({status: response.statusCode ?? 0, body, location: response.headers.location}))
    }).on('error', reject)
  })
}

/**
 * The browser's round trip: it opens the login's one-time start URL, which redirects to the IdP; the IdP signs the
 * person in and redirects to redirect_uri with a code and PVE's state.
 */
function robotBrowser(visits: Promise<BrowserVisit>[], extra: Record<string, string> = {code: 'the-code'}): (url: string) => void {
  return (url) => {
    visits.push(
      (async () => {
        const start = await visit(url)
        expect(start.status).toBe(302)
        const idp = new URL(start.location!)
        const back = new URL(idp.searchParams.get('redirect_uri')!)
        back.search = new URLSearchParams({...extra, state: idp.searchParams.get('state')!}).toString()
        return visit(back)
      })(),
    )
  }
}

function options(pve: FakePve, extra: Partial<LoginOptions> = {}): LoginOptions & {events: LoginProgress[]} {
  const events: LoginProgress[] = []
  return {server: 'pve.test', realm: 'cli', client: pve, env: {}, onProgress: (event) => events.push(event), events, ...extra}
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({host: '127.0.0.1', port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

function listeningPort(events: LoginProgress[]): number {
  const listening = events.find((event) => event.type === 'listening')
  if (listening?.type !== 'listening') throw new Error('no listening event')
  return Number(new URL(listening.redirectUrl).port)
}

describe('login', () => {
  test('the happy path: realm check, listener, auth-url, browser, callback, exchange, SessionRecord', async () => {
    const pve = new FakePve()
    const visits: Promise<BrowserVisit>[] = []
    const opts = options(pve, {openBrowser: robotBrowser(visits)})
    const before = Date.now()
    const record = await browserLogin(opts)

    expect(record).toEqual({
      server: 'https://pve.test:8006',
      realm: 'cli',
      username: 'alice@cli',
      ticket: TICKET.ticket,
      csrfToken: TICKET.CSRFPreventionToken,
      clusterName: 'lab',
      issuedAt: new Date(0x6650a1b2 * 1000).toISOString(),
      loginAt: expect.any(String),
      // The fake's ticket was issued in 2024: by that ticket's clock, this machine is far ahead.
      clockOffsetSeconds: Math.round((0x6650a1b2 * 1000 - Date.parse(record.loginAt!)) / 1000),
    })
    expect(Date.parse(record.loginAt!)).toBeGreaterThanOrEqual(before - 1000)

    const port = listeningPort(opts.events)
    const redirectUrl = `http://127.0.0.1:${port}/callback`
    expect(pve.calls).toEqual(['domains', `auth-url cli ${redirectUrl}`, 'login'])
    expect(pve.logins).toEqual([{code: 'the-code', state: pve.state, redirectUrl}])
    expect(opts.events.map((event) => event.type)).toEqual(['checking-realm', 'listening', 'browser-opened', 'waiting', 'exchanging'])

    const visit = await visits[0]!
    expect(visit.status).toBe(200)
    expect(visit.body).toMatch(/signed in as alice@cli/)
    expect(visit.body).not.toContain('the-code')
    expect(await portIsFree(port)).toBe(true)
  })

  test('records the pin and falls back to now when the ticket has no readable time', async () => {
    const pve = new FakePve()
    Object.assign(pve, {trust: {mode: 'pin', fingerprint: 'AB:CD'}})
    pve.loginResult = async () => ({...TICKET, ticket: 'opaque', clustername: undefined})
    const visits: Promise<BrowserVisit>[] = []
    const before = Date.now()
    const record = await browserLogin(options(pve, {openBrowser: robotBrowser(visits), redirectHost: 'localhost'}))
    expect(record.tlsPin).toBe('AB:CD')
    expect(record.clusterName).toBeUndefined()
    expect(Date.parse(record.issuedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(pve.logins[0]!.redirectUrl).toMatch(/^http:\/\/localhost:\d+\/callback$/)
  })

  test.each([
    ['pam', /is a pam realm, not an OpenID realm/],
    ['nope', /does not exist/],
  ])('realm %s is a RealmError listing the OpenID realms, and no browser opens', async (realm, message) => {
    const pve = new FakePve()
    const openBrowser = jest.fn<(url: string) => void>()
    const error = await failure(browserLogin(options(pve, {realm, openBrowser})))
    expect(error).toBeInstanceOf(RealmError)
    expect(error.message).toMatch(message)
    expect((error as RealmError).openidRealms).toEqual(['cli', 'web'])
    expect((error as RealmError).hint).toMatch(/cli, web/)
    expect(openBrowser).not.toHaveBeenCalled()
    expect(pve.calls).toEqual(['domains'])
  })

  test('a malformed realm name is InvalidInputError before anything is sent', async () => {
    const pve = new FakePve()
    expect(await failure(browserLogin(options(pve, {realm: 'foo bar'})))).toBeInstanceOf(InvalidInputError)
    expect(pve.calls).toEqual([])
  })

  test('PVE\'s 401 becomes AuthenticationFailedError with the likely causes in order', async () => {
    const pve = new FakePve()
    pve.loginResult = async () => {
      throw new PveApiError(401, 'authentication failure')
    }
    const visits: Promise<BrowserVisit>[] = []
    const error = await failure(browserLogin(options(pve, {openBrowser: robotBrowser(visits)})))
    expect(error).toBeInstanceOf(AuthenticationFailedError)
    const hint = (error as AuthenticationFailedError).hint ?? ''
    const order = ['client-key', 'AADSTS700025', 'without client-key', 'autocreate', '10 minutes', 'different cluster nodes', 'clock', 'docs/troubleshooting.md']
    const positions = order.map((word) => hint.indexOf(word))
    expect(positions.every((position) => position >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(error.message).not.toContain('the-code')
    expect(error.message).not.toContain('csrf_token')
    const visit = await visits[0]!
    expect(visit.body).toMatch(/refused the login/)
  })

  test('other exchange failures pass through unchanged', async () => {
    const pve = new FakePve()
    const boom = new PveApiError(500, 'internal')
    pve.loginResult = async () => {
      throw boom
    }
    expect(await failure(browserLogin(options(pve, {openBrowser: robotBrowser([])})))).toBe(boom)
  })

  test('an auth-url whose state names another realm is refused before the browser opens', async () => {
    const pve = new FakePve()
    pve.state = JSON.stringify({csrf_token: 'x', realm: 'web'})
    const openBrowser = jest.fn<(url: string) => void>()
    const opts = options(pve, {openBrowser})
    const error = await failure(browserLogin(opts))
    expect(error).toBeInstanceOf(PveApiError)
    expect(error.message).toMatch(/realm web, not cli/)
    expect(openBrowser).not.toHaveBeenCalled()
    expect(await portIsFree(listeningPort(opts.events))).toBe(true)
  })

  test('a 500 from auth-url gets a hint about the IdP', async () => {
    const pve = new FakePve()
    pve.authUrlResult = async () => {
      throw new PveApiError(500, 'Validation error: unexpected issuer URI')
    }
    const error = await failure(browserLogin(options(pve)))
    expect(error).toBeInstanceOf(PveApiError)
    expect((error as PveApiError).hint).toMatch(/issuer-url/)
  })

  test('a browser hook that fails means "show the URL"; a pasted redirect URL completes the login', async () => {
    const pve = new FakePve()
    const input = new PassThrough()
    const opts = options(pve, {
      openBrowser: () => {
        throw new Error('no browser here')
      },
      pasteInput: input,
      onProgress: (event) => {
        opts.events.push(event)
        if (event.type !== 'waiting') return
        const idp = new URL(event.url)
        const back = new URL(idp.searchParams.get('redirect_uri')!)
        back.search = new URLSearchParams({code: 'pasted', state: idp.searchParams.get('state')!}).toString()
        input.write(`${back.href}\n`)
      },
    })
    const record = await browserLogin(opts)
    expect(record.username).toBe('alice@cli')
    expect(pve.logins[0]!.code).toBe('pasted')
    const unavailable = opts.events.find((event) => event.type === 'browser-unavailable')
    expect(unavailable).toMatchObject({type: 'browser-unavailable', reason: expect.stringMatching(/no browser here/)})
  })

  test('openBrowser: false and a headless environment both report browser-unavailable', async () => {
    for (const extra of [{openBrowser: false as const}, {env: {SSH_CONNECTION: '1 2 3 4', DISPLAY: ':0'}}]) {
      const pve = new FakePve()
      const controller = new AbortController()
      const opts = options(pve, {...extra, signal: controller.signal})
      opts.onProgress = (event) => {
        opts.events.push(event)
        if (event.type === 'waiting') controller.abort()
      }
      expect(await failure(browserLogin(opts))).toBeInstanceOf(AbortedError)
      expect(opts.events.map((event) => event.type)).toEqual(['checking-realm', 'listening', 'browser-unavailable', 'waiting'])
    }
  })

  test('no browser, a random port and nothing to paste into (or an input that ends): LoginRequiredError at once, port freed', async () => {
    const ended = new PassThrough()
    ended.end()
    for (const extra of [{}, {pasteInput: ended}]) {
      const pve = new FakePve()
      const opts = options(pve, {openBrowser: false, timeoutMs: 300_000, ...extra})
      const error = await failure(browserLogin(opts))
      expect(error).toBeInstanceOf(LoginRequiredError)
      expect((error as LoginRequiredError).message).toMatch(/no way back here: no browser was opened on this machine, .*, and the listening port is random/)
      expect((error as LoginRequiredError).hint).toMatch(/ssh -L PORT:127\.0\.0\.1:PORT/)
      expect(await portIsFree(listeningPort(opts.events))).toBe(true)
      expect(pve.calls).not.toContain('login')
    }
  })

  test('with a fixed port (an SSH forward may reach it) or an opened browser, an ended input does not end the wait', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const {port: free} = server.address() as {port: number}
        server.close(() => resolve(free))
      })
    })
    for (const extra of [{openBrowser: false as const, ports: [port]}, {openBrowser: () => undefined}]) {
      const ended = new PassThrough()
      ended.end()
      const controller = new AbortController()
      const opts = options(new FakePve(), {...extra, pasteInput: ended, signal: controller.signal})
      // Once the login has read the input's end (and the promise callbacks after it have run), nothing more can come
      // of it: cancel, and the login must end as cancelled, not as "no way back".
      ended.once('end', () => setImmediate(() => controller.abort()))
      expect(await failure(browserLogin(opts))).toBeInstanceOf(AbortedError)
    }
  })

  test('aborting while waiting is AbortedError and frees the port', async () => {
    const pve = new FakePve()
    const controller = new AbortController()
    const opts = options(pve, {openBrowser: () => controller.abort(), signal: controller.signal})
    expect(await failure(browserLogin(opts))).toBeInstanceOf(AbortedError)
    expect(await portIsFree(listeningPort(opts.events))).toBe(true)
    expect(pve.calls).not.toContain('login')
  })

  test('a signal aborted before the start does nothing at all', async () => {
    const pve = new FakePve()
    expect(await failure(browserLogin(options(pve, {signal: AbortSignal.abort()})))).toBeInstanceOf(AbortedError)
    expect(pve.calls).toEqual([])
  })
})

describe('readPveState', () => {
  const state = '{"csrf_token":"3q2-7wAAAAAAAAAAAAAAAA","realm":"cli"}'
  const url = (query: string) => `https://idp.test/auth?response_type=code&${query}`

  test('returns PVE\'s state JSON exactly as sent', () => {
    expect(readPveState(url(`state=${encodeURIComponent(state)}`), 'cli')).toBe(state)
  })

  test.each([
    ['not a URL', 'nope', /not a URL/],
    ['a javascript: URL', `javascript:alert(1)//?state=${encodeURIComponent(state)}`, /javascript: URL/],
    ['no state', url('x=1'), /exactly one state/],
    ['two states', url(`state=${encodeURIComponent(state)}&state=x`), /exactly one state/],
    ['state not JSON', url('state=abc'), /not the JSON/],
    ['state without csrf_token', url(`state=${encodeURIComponent('{"realm":"cli"}')}`), /lacks csrf_token/],
    ['state of another realm', url(`state=${encodeURIComponent('{"csrf_token":"x","realm":"web"}')}`), /realm web, not cli/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => readPveState(input, 'cli')).toThrow(message)
  })
})
