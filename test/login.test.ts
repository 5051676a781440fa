import {afterAll, afterEach, beforeAll, describe, expect, jest, test} from '@jest/globals'
import {openBrowser} from '../src/login/browser.js'
import {AuthenticationFailedError, IdpError, PveApiError, RealmError, TlsVerificationError} from '../src/errors.js'
import {browserLogin, type LoginOptions, type LoginProgress} from '../src/login/login-flow.js'
import {PveClient} from '../src/pve/pve-client.js'
import {startSandboxProcess, type RequestLogEntry, type SandboxProcess} from './helpers/sandbox.js'
import {failure} from './helpers/failure.js'

/**
 * login() against the sandbox: a real OpenID provider behind a PVE-compatible server, and the robot browser
 * signing in (or refusing) the way a person would.
 */
let sandbox: SandboxProcess

beforeAll(async () => {
  sandbox = await startSandboxProcess()
})

afterEach(async () => {
  await sandbox.reset()
})

afterAll(async () => {
  await sandbox?.stop()
})

/** process.env without proxies, BROWSER, jest's NODE_OPTIONS or robot settings, plus the given robot settings. */
function robotEnv(robot: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const name of Object.keys(env)) {
    if (/^(https?_proxy|no_proxy|all_proxy|browser|node_options|robot_.*)$/i.test(name)) delete env[name]
  }
  return {...env, ...robot}
}

function sandboxLogin(extra: Partial<LoginOptions> = {}): LoginOptions & {events: LoginProgress[]} {
  const events: LoginProgress[] = []
  return {
    server: sandbox.pveUrl,
    realm: 'cli',
    tls: {fingerprint: sandbox.fingerprint},
    browserCommand: sandbox.robotBrowser,
    env: robotEnv(),
    onProgress: (event) => events.push(event),
    events,
    ...extra,
  }
}

const calls = (log: RequestLogEntry[]) => log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)

describe('login() against the sandbox', () => {
  test('realm cli: the robot signs in as alice and the result is a working SessionRecord', async () => {
    const options = sandboxLogin()
    const before = Date.now()
    const record = await browserLogin(options)

    expect(record).toMatchObject({
      server: sandbox.pveUrl,
      realm: 'cli',
      username: 'alice@cli',
      clusterName: 'sandbox',
      tlsPin: sandbox.fingerprint,
    })
    expect(record.ticket).toMatch(/^PVE:alice@cli:[0-9A-F]{8}::/)
    expect(Math.abs(Date.parse(record.issuedAt) - before)).toBeLessThan(60_000)
    expect(Date.parse(record.loginAt!)).toBeGreaterThanOrEqual(Date.parse(record.issuedAt) - 1000)
    expect(calls(await sandbox.requestLog())).toEqual([
      'GET /api2/json/access/domains 200',
      'POST /api2/json/access/openid/auth-url 200',
      'POST /api2/json/access/openid/login 200',
    ])
    expect(options.events.map((event) => event.type)).toEqual(['checking-realm', 'listening', 'browser-opened', 'waiting', 'exchanging'])

    // The ticket and CSRF token do what PVE's do: authenticate reads and writes, and renew.
    const version = await sandbox.pve('/api2/json/version', {headers: {cookie: `PVEAuthCookie=${record.ticket}`}})
    expect(version.status).toBe(200)
    const client = new PveClient({server: sandbox.pveUrl, tls: {caFile: sandbox.caFile}, env: robotEnv()})
    try {
      const renewed = await client.renewTicket(record.username, record.ticket)
      expect(renewed.username).toBe('alice@cli')
      expect(renewed.ticket).toMatch(/^PVE:alice@cli:/)
    } finally {
      await client.close()
    }
  })

  test('realm misconf (client-key on a public client): AuthenticationFailedError whose hint names runDoctor, then the client-key cause', async () => {
    const error = await failure(browserLogin(sandboxLogin({realm: 'misconf'})))

    expect(error).toBeInstanceOf(AuthenticationFailedError)
    const hint = (error as AuthenticationFailedError).hint ?? ''
    expect(hint).toMatch(/^Run runDoctor\(\{server: "https:\/\/127\.0\.0\.1:\d+", realm: "misconf"\}\) first[^\n]*\nLikely causes[^\n]*\n\(a\)[^\n]*client-key/)
    expect((error as AuthenticationFailedError).advice).toEqual({kind: 'login-refused', realm: 'misconf', server: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/)})
    expect(hint).toContain('AADSTS700025')
    expect(hint).toContain('docs/troubleshooting.md')
    expect(calls(await sandbox.requestLog())).toContain('POST /api2/json/access/openid/login 401')
    // The IdP refused the confidential exchange: the clash the hint names first.
    expect((await sandbox.idpEvents()).map((event) => event.error)).toContain('invalid_client')
  })

  test.each([
    ['pam', /is a pam realm/],
    ['does-not-exist', /does not exist/],
  ])('realm %s: RealmError listing the OpenID realms, and the browser hook is never called', async (realm, message) => {
    const openBrowserHook = jest.fn<(url: string) => void>()
    const error = await failure(browserLogin(sandboxLogin({realm, openBrowser: openBrowserHook})))

    expect(error).toBeInstanceOf(RealmError)
    expect(error.message).toMatch(message)
    expect((error as RealmError).openidRealms).toEqual(expect.arrayContaining(['cli', 'misconf', 'noauto']))
    expect((error as RealmError).openidRealms).not.toContain('pam')
    expect(openBrowserHook).not.toHaveBeenCalled()
    expect(calls(await sandbox.requestLog())).toEqual(['GET /api2/json/access/domains 200'])
  })

  test('ROBOT_ACTION=deny: the IdP sends access_denied and the login ends with IdpError', async () => {
    const error = await failure(browserLogin(sandboxLogin({env: robotEnv({ROBOT_ACTION: 'deny'})})))

    expect(error).toBeInstanceOf(IdpError)
    expect((error as IdpError).idpError).toBe('access_denied')
    expect(calls(await sandbox.requestLog())).not.toContain('POST /api2/json/access/openid/login 200')
  })

  test('a user PVE does not know, in a realm without autocreate: AuthenticationFailedError', async () => {
    const error = await failure(browserLogin(sandboxLogin({realm: 'noauto', env: robotEnv({ROBOT_USER: 'alice'})})))
    expect(error).toBeInstanceOf(AuthenticationFailedError)
    expect((await sandbox.syslog()).map((entry) => entry.message).join('\n')).toMatch(/alice@noauto/)
  })

  test('a login that takes longer than PVE keeps the pending state: AuthenticationFailedError', async () => {
    const env = robotEnv()
    const error = await failure(
      browserLogin(
        sandboxLogin({
          openBrowser: async (url) => {
            // Eleven minutes pass on the PVE clock between auth-url and the code coming back.
            await sandbox.setClock(660)
            await openBrowser(url, {browserCommand: sandbox.robotBrowser, env})
          },
        }),
      ),
    )
    expect(error).toBeInstanceOf(AuthenticationFailedError)
    expect((error as AuthenticationFailedError).hint).toMatch(/10 minutes/)
  })

  test('bob in the noauto realm exists on PVE: the login works', async () => {
    const record = await browserLogin(sandboxLogin({realm: 'noauto', env: robotEnv({ROBOT_USER: 'bob'})}))
    expect(record.username).toBe('bob@noauto')
  })

  test('without a pin, the self-signed certificate is a TlsVerificationError with its fingerprint; nothing reaches PVE', async () => {
    const error = await failure(browserLogin(sandboxLogin({tls: {}})))
    expect(error).toBeInstanceOf(TlsVerificationError)
    expect((error as TlsVerificationError).fingerprint).toBe(sandbox.fingerprint)
    expect(await sandbox.requestLog()).toEqual([])
  })

  test('a CA file works as trust too, and then no pin is recorded', async () => {
    const record = await browserLogin(sandboxLogin({tls: {caFile: sandbox.caFile}}))
    expect(record.username).toBe('alice@cli')
    expect(record.tlsPin).toBeUndefined()
  })

  test('a reverse proxy failing in front of PVE: a short PveApiError, no HTML', async () => {
    await sandbox.fault('/access/domains', '502')
    const error = await failure(browserLogin(sandboxLogin()))
    expect(error).toBeInstanceOf(PveApiError)
    expect((error as PveApiError).status).toBe(502)
    expect(error.message).not.toMatch(/</)
  })
})

describe('PveClient against the sandbox', () => {
  test('older PVE without `message` in error bodies: the reason phrase carries the text', async () => {
    await sandbox.setOldPve(true)
    const client = new PveClient({server: sandbox.pveUrl, tls: {fingerprint: sandbox.fingerprint}, env: robotEnv()})
    try {
      const error = await failure(client.authUrl('nope', 'http://127.0.0.1:1/callback'))
      expect(error).toBeInstanceOf(PveApiError)
      expect(error).toMatchObject({status: 500, pveMessage: "authentication domain 'nope' does not exist"})
    } finally {
      await client.close()
    }
  })

  test('empty-body 401 answers: No ticket and Authentication failed!', async () => {
    const client = new PveClient({server: sandbox.pveUrl, tls: {fingerprint: sandbox.fingerprint}, env: robotEnv()})
    try {
      expect(await failure(client.request('GET', '/version'))).toMatchObject({status: 401, pveMessage: 'No ticket'})
      expect(await failure(client.request('GET', '/version', {ticket: 'PVE:alice@cli:00000000::bad'}))).toMatchObject({
        status: 401,
        pveMessage: 'Authentication failed!',
      })
    } finally {
      await client.close()
    }
  })
})
