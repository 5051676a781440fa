import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, beforeEach, describe, expect, test} from '@jest/globals'
import {parse as parseShellWords} from 'shell-quote'

import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'
import {signInAtIdp} from './sandbox/idp-sign-in.js'

/**
 * The sandbox, driven over HTTP the way a client would drive a real PVE + IdP. The IdP pages are walked with
 * the in-process sign-in driver (fast), and once with the robot browser command (what the CLI will use).
 */
let sandbox: SandboxProcess

/** A redirect URL nobody listens on: the sign-in driver stops at the redirect and never requests it. */
const LOOPBACK_REDIRECT = 'http://127.0.0.1:43123/callback'

interface LoginData {
  username: string
  ticket: string
  CSRFPreventionToken: string
  cap: Record<string, Record<string, number>>
  clustername?: string
}

async function authUrl(realm: string, redirectUrl = LOOPBACK_REDIRECT): Promise<URL> {
  const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm, 'redirect-url': redirectUrl}})
  expect(response.status).toBe(200)
  return new URL((JSON.parse(response.body) as {data: string}).data)
}

interface Callback {
  code: string
  state: string
  redirectUrl: string
}

/** auth-url, then sign in at the IdP; returns what the loopback listener would have received. */
async function signIn(realm: string, username = 'alice', redirectUrl = LOOPBACK_REDIRECT): Promise<Callback> {
  const password = `${username}-password`
  const callback = await signInAtIdp(await authUrl(realm, redirectUrl), {username, password})
  const code = callback.searchParams.get('code')
  const state = callback.searchParams.get('state')
  if (!code || !state) throw new Error(`callback without code or state: ${callback.searchParams.get('error') ?? 'no error'}`)
  return {code, state, redirectUrl}
}

function openidLogin(callback: Callback) {
  return sandbox.pve('/api2/json/access/openid/login', {
    form: {state: callback.state, code: callback.code, 'redirect-url': callback.redirectUrl},
  })
}

async function loginAs(realm: string, username = 'alice'): Promise<LoginData> {
  const response = await openidLogin(await signIn(realm, username))
  expect(response.status).toBe(200)
  return (JSON.parse(response.body) as {data: LoginData}).data
}

function cookie(ticket: string): Record<string, string> {
  return {cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}`}
}

function expectAuthenticationFailure(response: {status: number; statusMessage: string; body: string}): void {
  expect(response.status).toBe(401)
  expect(response.statusMessage).toBe('authentication failure')
  expect(JSON.parse(response.body)).toEqual({data: null, message: 'authentication failure\n'})
}

function expectEmpty401(response: {status: number; statusMessage: string; body: string; headers: Record<string, unknown>}, reason: string): void {
  expect(response.status).toBe(401)
  expect(response.statusMessage).toBe(reason)
  expect(response.body).toBe('')
  expect(response.headers['content-type']).toBeUndefined()
}

beforeAll(async () => {
  sandbox = await startSandboxProcess()
})

afterAll(async () => {
  await sandbox?.stop()
})

beforeEach(async () => {
  await sandbox.reset()
})

describe('auth-url', () => {
  test('builds the IdP URL in PVE parameter order with JSON state, PKCE S256 and a nonce', async () => {
    const url = await authUrl('cli')
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.idpUrl}/auth`)
    expect([...url.searchParams.keys()]).toEqual([
      'response_type', 'client_id', 'state', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'scope', 'nonce', 'display',
    ])
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe('pve-cli')
    expect(url.searchParams.get('state')).toMatch(/^\{"csrf_token":"[A-Za-z0-9_-]{22}","realm":"cli"\}$/)
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('redirect_uri')).toBe(LOOPBACK_REDIRECT)
    expect(url.search).toContain('&scope=openid+email+profile&')
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(url.searchParams.get('display')).toBe('page')
  })

  test('accepts a JSON body and query parameters as well as a form', async () => {
    const json = await sandbox.pve('/api2/json/access/openid/auth-url', {json: {realm: 'cli', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(json.status).toBe(200)
    const query = await sandbox.pve(`/api2/json/access/openid/auth-url?realm=cli`, {form: {'redirect-url': LOOPBACK_REDIRECT}})
    expect(query.status).toBe(200)
  })

  test('refuses a new state once more than 100 are pending for the realm (auth_state.rs), with a 500', async () => {
    const calls = Array.from({length: 101}, () =>
      sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'noauto', 'redirect-url': LOOPBACK_REDIRECT}}),
    )
    expect((await Promise.all(calls)).map((response) => response.status)).toEqual(Array(101).fill(200))
    const refused = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'noauto', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(refused.status).toBe(500)
    expect(refused.statusMessage).toBe('too many pending openid auth request for realm noauto')
    // Let them all expire, and have one more call purge them, so later tests start clean.
    await sandbox.setClock(601)
    expect((await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'noauto', 'redirect-url': LOOPBACK_REDIRECT}})).status).toBe(200)
  })
})

describe('OpenID login', () => {
  test('a public-client realm exchanges the code and returns a working ticket', async () => {
    const data = await loginAs('cli')
    expect(data.username).toBe('alice@cli')
    expect(data.ticket).toMatch(/^PVE:alice@cli:[0-9A-F]{8}::[A-Za-z0-9+/]{342}==$/)
    expect(data.CSRFPreventionToken).toMatch(/^[0-9A-F]{8}:[A-Za-z0-9+/]{43}$/)
    expect(Object.keys(data.cap).sort()).toEqual(['access', 'dc', 'mapping', 'nodes', 'sdn', 'storage', 'vms'])
    expect(data.clustername).toBe('sandbox')

    const version = await sandbox.pve('/api2/json/version', {headers: cookie(data.ticket)})
    expect(version.status).toBe(200)
    expect(JSON.parse(version.body)).toMatchObject({data: {release: expect.any(String), version: expect.any(String)}})
    expect((await sandbox.users()).map((user) => user.userid)).toContain('alice@cli')
    const grants = (await sandbox.idpEvents()).filter((event) => event.event === 'grant.success')
    expect(grants).toEqual([expect.objectContaining({client_id: 'pve-cli'})])
  })

  test("a user name with an apostrophe becomes o'brien@cli", async () => {
    expect((await loginAs('cli', "o'brien")).username).toBe("o'brien@cli")
  })

  test('a confidential realm sends its secret and the verbatim non-loopback redirect URL', async () => {
    const response = await openidLogin(await signIn('ui', 'bob', 'https://127.0.0.1:8006'))
    expect(response.status).toBe(200)
    expect((JSON.parse(response.body) as {data: LoginData}).data.username).toBe('bob@ui')
  })

  test('the robot browser signs in and delivers the callback to a loopback listener', async () => {
    const received: URL[] = []
    const listener: Server = createServer((request, response) => {
      received.push(new URL(request.url ?? '/', 'http://127.0.0.1'))
      response.end('You can close this window.')
    })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    try {
      const redirectUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`
      const url = await authUrl('cli', redirectUrl)
      const [command = '', ...args] = parseShellWords(sandbox.robotBrowser) as string[]
      const robot = spawn(command, [...args, url.href], {env: {...process.env, NODE_OPTIONS: '', ROBOT_USER: 'bob'}})
      let stdout = ''
      let stderr = ''
      robot.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      robot.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const exitCode = await new Promise<number | null>((resolve) => robot.on('close', resolve))
      expect({exitCode, stdout, stderr}).toEqual({exitCode: 0, stdout: '', stderr: ''})

      const [callback] = received
      expect(callback?.pathname).toBe('/callback')
      const response = await openidLogin({code: callback?.searchParams.get('code') ?? '', state: callback?.searchParams.get('state') ?? '', redirectUrl})
      expect(response.status).toBe(200)
      expect((JSON.parse(response.body) as {data: LoginData}).data.username).toBe('bob@cli')
    } finally {
      listener.close()
    }
  })

  test('Cancel at the IdP sends error=access_denied back to the redirect URI', async () => {
    const callback = await signInAtIdp(await authUrl('cli'), {username: 'alice', password: 'alice-password', action: 'deny'})
    expect(`${callback.origin}${callback.pathname}`).toBe(LOOPBACK_REDIRECT)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('state')).toMatch(/^\{"csrf_token":/)
  })

  test('the IdP refuses a wrong password', async () => {
    await expect(signInAtIdp(await authUrl('cli'), {username: 'alice', password: 'wrong'})).rejects.toThrow(/Invalid user or password/)
  })
})

describe('error matrix (reference §4.3)', () => {
  test('auth-url, unknown realm: 500 with the die text', async () => {
    const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'nope', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(response.status).toBe(500)
    expect(response.statusMessage).toBe("authentication domain 'nope' does not exist")
    expect(JSON.parse(response.body)).toEqual({data: null, message: "authentication domain 'nope' does not exist\n"})
  })

  test('auth-url, realm type not openid: 500 wrong realm type', async () => {
    const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'pve', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(response.status).toBe(500)
    expect(response.statusMessage).toBe('wrong realm type (pve != openid)')
    expect(JSON.parse(response.body)).toEqual({data: null, message: 'wrong realm type (pve != openid)\n'})
  })

  test('auth-url / login, missing or invalid parameter: 400 with an errors map', async () => {
    const missing = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'cli'}})
    expect(missing.status).toBe(400)
    expect(missing.statusMessage).toBe('Parameter verification failed.')
    expect(JSON.parse(missing.body)).toEqual({
      data: null,
      errors: {'redirect-url': 'property is missing and it is not optional'},
      message: 'Parameter verification failed.\n',
    })

    const invalid = await sandbox.pve('/api2/json/access/openid/auth-url', {
      form: {realm: 'foo bar', 'redirect-url': `http://127.0.0.1/${'x'.repeat(260)}`, extra: '1'},
    })
    expect(JSON.parse(invalid.body).errors).toEqual({
      realm: 'invalid format - value does not look like a valid realm\n',
      'redirect-url': 'value may only be 255 characters long',
      extra: 'property is not defined in schema and the schema does not allow additional properties',
    })
    const longRealm = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: `r${'x'.repeat(32)}`, 'redirect-url': LOOPBACK_REDIRECT}})
    expect(JSON.parse(longRealm.body).errors).toEqual({realm: 'value may only be 32 characters long'})

    const login = await sandbox.pve('/api2/json/access/openid/login', {form: {state: 's'.repeat(1025), code: 'c'.repeat(4097)}})
    expect(login.status).toBe(400)
    expect(JSON.parse(login.body).errors).toEqual({
      state: 'value may only be 1024 characters long',
      code: 'value may only be 4096 characters long',
      'redirect-url': 'property is missing and it is not optional',
    })
  })

  test('auth-url, redirect-url not absolute: 500 with the URL parser text', async () => {
    const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'cli', 'redirect-url': '/callback'}})
    expect(response.status).toBe(500)
    expect(response.statusMessage).toBe('relative URL without a base')
  })

  test('auth-url, IdP discovery broken: 500 with the discovery error', async () => {
    const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'broken', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(response.status).toBe(500)
    expect(response.statusMessage).toMatch(/^Server returned invalid response: HTTP status code 404 .*well-known\/openid-configuration$/)
  })

  test('login, expired state (older than 10 minutes on the sandbox clock): 401', async () => {
    const callback = await signIn('cli')
    await sandbox.setClock(601)
    expectAuthenticationFailure(await openidLogin(callback))
    expect((await sandbox.syslog()).map((entry) => entry.message)).toEqual([
      expect.stringMatching(/^openid authentication failure; rhost=\S+ msg=no openid auth state found \(possible timeout\)$/),
    ])
  })

  test('login, replayed state: 401 the second time', async () => {
    const callback = await signIn('cli')
    expect((await openidLogin(callback)).status).toBe(200)
    expectAuthenticationFailure(await openidLogin(callback))
  })

  test('login, invalid state: 401', async () => {
    expectAuthenticationFailure(await openidLogin({state: 'not json', code: 'x', redirectUrl: LOOPBACK_REDIRECT}))
    expectAuthenticationFailure(await openidLogin({state: '{"csrf_token":"AAAAAAAAAAAAAAAAAAAAAA","realm":"cli"}', code: 'x', redirectUrl: LOOPBACK_REDIRECT}))
  })

  test('login, IdP token exchange fails (public client sent a secret): 401, IdP says invalid_client', async () => {
    expectAuthenticationFailure(await openidLogin(await signIn('misconf')))
    const events = await sandbox.idpEvents()
    expect(events).toContainEqual(expect.objectContaining({event: 'grant.error', error: 'invalid_client', client_id: 'pve-cli'}))
    expect((await sandbox.syslog()).at(-1)?.message).toMatch(/Failed to contact token endpoint: .*invalid_client/)
  })

  test('login, IdP token exchange fails (redirect-url differs from auth-url): 401, IdP says invalid_grant', async () => {
    const callback = await signIn('cli')
    expectAuthenticationFailure(await openidLogin({...callback, redirectUrl: 'http://127.0.0.1:43124/callback'}))
    expect(await sandbox.idpEvents()).toContainEqual(expect.objectContaining({event: 'grant.error', error: 'invalid_grant'}))
  })

  test('login, user does not exist and autocreate is off: 401; an existing user gets in', async () => {
    expectAuthenticationFailure(await openidLogin(await signIn('noauto', 'alice')))
    expect((await sandbox.syslog()).at(-1)?.message).toMatch(/msg=no such user \('alice@noauto'\)$/)
    expect((await loginAs('noauto', 'bob')).username).toBe('bob@noauto')
  })

  test('login, realm from state unknown or wrong type: 401', async () => {
    for (const realm of ['nope', 'pam']) {
      expectAuthenticationFailure(await openidLogin({state: JSON.stringify({csrf_token: 'AAAAAAAAAAAAAAAAAAAAAA', realm}), code: 'x', redirectUrl: LOOPBACK_REDIRECT}))
    }
  })

  test('any authenticated path, no cookie: 401 No ticket with an empty body', async () => {
    expectEmpty401(await sandbox.pve('/api2/json/version'), 'No ticket')
    // The cookie must start the header or follow whitespace (pve-http-server's extract_auth_value).
    const {ticket} = await loginAs('cli')
    expectEmpty401(await sandbox.pve('/api2/json/version', {headers: {cookie: `a=b;PVEAuthCookie=${ticket}`}}), 'No ticket')
    expect((await sandbox.pve('/api2/json/version', {headers: {cookie: `a=b; PVEAuthCookie=${ticket}`}})).status).toBe(200)
    expect((await sandbox.pve('/api2/json/version', {headers: {authorization: `PVEAuthCookie=${ticket}`}})).status).toBe(200)
  })

  test('any authenticated path, invalid or expired ticket or disabled user: 401 Authentication failed!', async () => {
    const {ticket} = await loginAs('cli')
    const forged = ticket.replace('PVE:alice@cli:', 'PVE:root@pam:')
    expectEmpty401(await sandbox.pve('/api2/json/version', {headers: cookie(forged)}), 'Authentication failed!')

    // Valid while -300 s < age < 7200 s. The margins absorb a second boundary passing since the login.
    await sandbox.setClock(7190)
    expect((await sandbox.pve('/api2/json/version', {headers: cookie(ticket)})).status).toBe(200)
    await sandbox.setClock(7200)
    expectEmpty401(await sandbox.pve('/api2/json/version', {headers: cookie(ticket)}), 'Authentication failed!')
    await sandbox.setClock(-290)
    expect((await sandbox.pve('/api2/json/version', {headers: cookie(ticket)})).status).toBe(200)
    await sandbox.setClock(-310)
    expectEmpty401(await sandbox.pve('/api2/json/version', {headers: cookie(ticket)}), 'Authentication failed!')

    await sandbox.setClock(0)
    await sandbox.setUserEnabled('alice@cli', false)
    try {
      expectEmpty401(await sandbox.pve('/api2/json/version', {headers: cookie(ticket)}), 'Authentication failed!')
    } finally {
      await sandbox.setUserEnabled('alice@cli', true)
    }
  })

  test('authenticated POST without or with a bad CSRFPreventionToken: 401 with an empty body', async () => {
    const data = await loginAs('cli')
    const clone = '/api2/json/nodes/pve1/qemu/9000/clone'
    expectEmpty401(await sandbox.pve(clone, {form: {newid: '9100'}, headers: cookie(data.ticket)}), 'Permission denied - invalid csrf token')
    const otherUsersToken = (await loginAs('cli', 'bob')).CSRFPreventionToken
    expectEmpty401(
      await sandbox.pve(clone, {form: {newid: '9100'}, headers: {...cookie(data.ticket), CSRFPreventionToken: otherUsersToken}}),
      'Permission denied - invalid csrf token',
    )
  })

  test('unknown API path: 501 Method … not implemented (after authentication, like pveproxy)', async () => {
    expectEmpty401(await sandbox.pve('/api2/json/access/openid/foo', {form: {}}), 'No ticket')
    const data = await loginAs('cli')
    const response = await sandbox.pve('/api2/json/access/openid/foo', {
      form: {},
      headers: {...cookie(data.ticket), CSRFPreventionToken: data.CSRFPreventionToken},
    })
    expect(response.status).toBe(501)
    expect(response.statusMessage).toBe("Method 'POST /access/openid/foo' not implemented")
    expect(JSON.parse(response.body)).toEqual({data: null, message: "Method 'POST /access/openid/foo' not implemented"})
  })
})

describe('tickets', () => {
  test('renewal with the current ticket as password returns a new ticket and CSRF token', async () => {
    const first = await loginAs('cli')
    // Tickets carry a one-second timestamp; move the clock so the renewed ticket differs.
    await sandbox.setClock(1800)
    const renewal = await sandbox.pve('/api2/json/access/ticket', {form: {username: 'alice@cli', password: first.ticket}})
    expect(renewal.status).toBe(200)
    const renewed = (JSON.parse(renewal.body) as {data: LoginData}).data
    expect(renewed.username).toBe('alice@cli')
    expect(renewed.ticket).not.toBe(first.ticket)
    expect(renewed.CSRFPreventionToken).not.toBe(first.CSRFPreventionToken)

    // Later than the first ticket's end, within the renewed one's (with room for a second boundary).
    await sandbox.setClock(1800 + 7190)
    expect((await sandbox.pve('/api2/json/version', {headers: cookie(renewed.ticket)})).status).toBe(200)
    expectAuthenticationFailure(await sandbox.pve('/api2/json/access/ticket', {form: {username: 'alice@cli', password: first.ticket}}))
  })

  test("an OpenID user cannot renew with someone else's ticket or a password", async () => {
    const bob = await loginAs('cli', 'bob')
    expectAuthenticationFailure(await sandbox.pve('/api2/json/access/ticket', {form: {username: 'alice@cli', password: bob.ticket}}))
    expectAuthenticationFailure(await sandbox.pve('/api2/json/access/ticket', {form: {username: 'alice@cli', password: 'alice-password'}}))
    expect((await sandbox.syslog()).at(-1)?.message).toMatch(/OpenID realm does not allow password verification/)
  })

  test('root@pam logs in with its password', async () => {
    const response = await sandbox.pve('/api2/json/access/ticket', {form: {username: 'root', realm: 'pam', password: sandbox.rootPassword}})
    expect(response.status).toBe(200)
    expect((JSON.parse(response.body) as {data: LoginData}).data.username).toBe('root@pam')
    expectAuthenticationFailure(await sandbox.pve('/api2/json/access/ticket', {form: {username: 'root@pam', password: 'wrong'}}))
  })
})

describe('API after login', () => {
  test('lists realms without authentication, pam as default', async () => {
    const response = await sandbox.pve('/api2/json/access/domains')
    expect(response.status).toBe(200)
    const realms = (JSON.parse(response.body) as {data: Array<{realm: string; type: string; default?: number}>}).data
    expect(realms.find((realm) => realm.realm === 'pam')).toMatchObject({type: 'pam', default: 1})
    expect(realms.filter((realm) => realm.type === 'openid').map((realm) => realm.realm)).toEqual(
      expect.arrayContaining(['cli', 'misconf', 'ui', 'noauto']),
    )
  })

  test('clones a template and the task is finished', async () => {
    const data = await loginAs('cli')
    const auth = {...cookie(data.ticket), CSRFPreventionToken: data.CSRFPreventionToken}
    const vms = await sandbox.pve('/api2/json/nodes/pve1/qemu', {headers: auth})
    expect((JSON.parse(vms.body) as {data: Array<{vmid: number}>}).data.map((vm) => vm.vmid)).toEqual(expect.arrayContaining([9000, 100]))

    const newid = String(200 + Math.floor(Math.random() * 100000))
    const clone = await sandbox.pve('/api2/json/nodes/pve1/qemu/9000/clone', {form: {newid, name: 'ci-runner'}, headers: auth})
    expect(clone.status).toBe(200)
    const upid = (JSON.parse(clone.body) as {data: string}).data
    expect(upid).toMatch(/^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmclone:9000:alice@cli:$/)
    const status = await sandbox.pve(`/api2/json/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`, {headers: auth})
    expect(JSON.parse(status.body)).toMatchObject({data: {status: 'stopped', exitstatus: 'OK'}})

    const again = await sandbox.pve('/api2/json/nodes/pve1/qemu/9000/clone', {form: {newid}, headers: auth})
    expect(again.status).toBe(500)
  })

  test('permissions for an OpenID user', async () => {
    const data = await loginAs('cli')
    const response = await sandbox.pve('/api2/json/access/permissions', {headers: cookie(data.ticket)})
    expect(JSON.parse(response.body)).toMatchObject({data: {'/': {'Sys.Audit': 1}, '/vms': {'VM.Clone': 1}}})
  })
})

describe('controls', () => {
  test('old-PVE mode drops `message` from error bodies', async () => {
    await sandbox.setOldPve(true)
    const response = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'nope', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(response.statusMessage).toBe("authentication domain 'nope' does not exist")
    expect(JSON.parse(response.body)).toEqual({data: null})
  })

  test('faults: 502 from a proxy, 500, reset and hang, each for the requested count', async () => {
    await sandbox.fault('/access/domains', '502', 1)
    const proxied = await sandbox.pve('/api2/json/access/domains')
    expect(proxied.status).toBe(502)
    expect(proxied.headers['content-type']).toBe('text/html')
    expect(proxied.body).toContain('502 Bad Gateway')
    expect((await sandbox.pve('/api2/json/access/domains')).status).toBe(200)

    await sandbox.fault('/api2/json/access/domains', '500', 2)
    expect((await sandbox.pve('/api2/json/access/domains')).status).toBe(500)
    expect((await sandbox.pve('/api2/json/access/domains')).status).toBe(500)
    expect((await sandbox.pve('/api2/json/access/domains')).status).toBe(200)

    await sandbox.fault('/access/domains', 'reset')
    await expect(sandbox.pve('/api2/json/access/domains')).rejects.toThrow(/socket hang up|ECONNRESET/)

    await sandbox.fault('/access/domains', 'hang')
    await expect(sandbox.pve('/api2/json/access/domains', {timeoutMs: 200})).rejects.toThrow(/no answer within 200 ms/)

    const log = await sandbox.requestLog()
    expect(log.map((entry) => [entry.status, entry.fault])).toEqual([
      [502, '502'], [200, undefined], [500, '500'], [500, '500'], [200, undefined], [null, 'reset'], [null, 'hang'],
    ])
  })

  test('latency delays every API answer', async () => {
    await sandbox.setLatency(150)
    const started = Date.now()
    expect((await sandbox.pve('/api2/json/access/domains')).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
  })

  test('the request log keeps method, path and status but never tickets, codes or states', async () => {
    const callback = await signIn('cli')
    const response = await openidLogin(callback)
    const {ticket, CSRFPreventionToken} = (JSON.parse(response.body) as {data: LoginData}).data
    // Whatever a client puts in the query string stays out of the log.
    await sandbox.pve(`/api2/json/access/permissions?path=${encodeURIComponent(`/vms/${callback.code}`)}`, {headers: cookie(ticket)})
    const log = await sandbox.requestLog()
    expect(log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      'POST /api2/json/access/openid/auth-url 200',
      'POST /api2/json/access/openid/login 200',
      'GET /api2/json/access/permissions 200',
    ])
    const everything = JSON.stringify([log, await sandbox.idpEvents(), await sandbox.syslog()])
    for (const secret of [ticket, CSRFPreventionToken, callback.code, callback.state, sandbox.rootPassword]) {
      expect(everything).not.toContain(secret)
    }
  })
})

describe('identity provider', () => {
  async function tokenRequest(body: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${sandbox.idpUrl}/token`, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded', ...headers},
      body: new URLSearchParams({grant_type: 'authorization_code', code: 'x', redirect_uri: LOOPBACK_REDIRECT, code_verifier: 'v'.repeat(43), ...body}),
    })
    return {status: response.status, body: (await response.json()) as {error?: string; error_description?: string}}
  }

  test('rejects a public client that sends a secret, in the body or as Basic auth', async () => {
    expect(await tokenRequest({client_id: 'pve-cli', client_secret: 'anything'})).toEqual({
      status: 401,
      body: {error: 'invalid_client', error_description: 'client authentication failed'},
    })
    const basic = `Basic ${Buffer.from('pve-cli:anything').toString('base64')}`
    expect((await tokenRequest({}, {authorization: basic})).body.error).toBe('invalid_client')
  })

  test('rejects a confidential client without its secret', async () => {
    expect((await tokenRequest({client_id: 'pve-ui'})).body.error).toBe('invalid_client')
  })

  test('does not accept a redirect URI that is not registered', async () => {
    const url = await authUrl('cli', 'http://evil.example/callback')
    await expect(signInAtIdp(url, {username: 'alice', password: 'alice-password'})).rejects.toThrow(/HTTP 400.*redirect_uri/)
  })
})

describe('broken on purpose: what pve-login doctor must find', () => {
  async function discovery(issuer: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)
    expect(response.status).toBe(200)
    return (await response.json()) as Record<string, unknown>
  }

  function realmConfig(ticket: string, realm: string) {
    return sandbox.pve(`/api2/json/access/domains/${realm}`, {headers: cookie(ticket)})
  }

  test('an issuer at a Keycloak-shaped sub-path: endpoints below it, and the login works', async () => {
    const url = await authUrl('keycloak')
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.idpUrl}/realms/sandbox/auth`)
    expect((await discovery(`${sandbox.idpUrl}/realms/sandbox`)).issuer).toBe(`${sandbox.idpUrl}/realms/sandbox`)
    expect((await loginAs('keycloak')).username).toBe('alice@keycloak')
  })

  test('an IdP signing with ES256: PVE 9 accepts it, PVE 8 (RS256 only) answers its bare 401', async () => {
    const authentik = await discovery(`${sandbox.idpUrl}/application/o/pve/`)
    expect(authentik.id_token_signing_alg_values_supported).toEqual(['ES256'])
    // authentik's layout: the endpoints are shared by every application, outside the issuer's path.
    expect(authentik.authorization_endpoint).toBe(`${sandbox.idpUrl}/application/o/authorize/`)
    expect((await fetch(`${sandbox.idpUrl}/application/o/.well-known/openid-configuration`)).status).toBe(404)
    expect((await loginAs('es256')).username).toBe('alice@es256')
    await sandbox.setPveVersion('8.4.1')
    const login = await loginAs('cli')
    expect(JSON.parse((await sandbox.pve('/api2/json/version', {headers: cookie(login.ticket)})).body)).toMatchObject({data: {version: '8.4.1', release: '8.4'}})
    expectAuthenticationFailure(await openidLogin(await signIn('es256')))
    expect((await sandbox.syslog()).at(-1)?.message).toMatch(/msg=Failed to verify ID token: /)
  })

  test('an IdP without S256 advertises plain as its only PKCE method', async () => {
    expect((await discovery(`${sandbox.idpUrl}/tenant-0000/v2.0`)).code_challenge_methods_supported).toEqual(['plain'])
    expect((await discovery(sandbox.idpUrl)).code_challenge_methods_supported).toEqual(['S256'])
  })

  test('a confidential client allowing loopback redirects: with the client-key the login works, without it the IdP refuses', async () => {
    expect((await loginAs('secret')).username).toBe('alice@secret')
    expectAuthenticationFailure(await openidLogin(await signIn('secret-nokey')))
    expect(await sandbox.idpEvents()).toContainEqual(expect.objectContaining({event: 'grant.error', error: 'invalid_client', client_id: 'pve-secret-cli'}))
  })

  test("a client whose redirect URIs exclude ours: the IdP's own error page at the authorization endpoint", async () => {
    const response = await fetch(await authUrl('ui'), {redirect: 'manual'})
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toContain('invalid_redirect_uri')
    expect(page).toContain('redirect_uri did not match any of the client&#39;s registered redirect_uris')
  })

  test('groups-claim: each group becomes <group>-<realm>, created on the fly; two realms give two groups', async () => {
    const cli = await loginAs('cli')
    const ui = await openidLogin(await signIn('ui', 'alice', 'https://127.0.0.1:8006'))
    expect(ui.status).toBe(200)
    const users = await sandbox.users()
    expect(users.find((user) => user.userid === 'alice@cli')?.groups).toEqual(['admins-cli', 'devs-cli'])
    expect(users.find((user) => user.userid === 'alice@ui')?.groups).toEqual(['admins-ui', 'devs-ui'])
    const groups = JSON.parse((await sandbox.pve('/api2/json/access/groups', {headers: cookie(cli.ticket)})).body) as {data: unknown}
    expect(groups.data).toEqual(expect.arrayContaining([{groupid: 'admins-cli', users: 'alice@cli'}, {groupid: 'admins-ui', users: 'alice@ui'}]))
    // A realm without groups-claim leaves groups alone.
    await loginAs('keycloak')
    expect((await sandbox.users()).find((user) => user.userid === 'alice@keycloak')?.groups).toEqual([])
  })

  test('GET /access/domains/{realm} returns the realm config, client-key included', async () => {
    const {ticket} = await loginAs('cli')
    const misconf = JSON.parse((await realmConfig(ticket, 'misconf')).body) as {data: Record<string, unknown>}
    expect(misconf.data).toMatchObject({type: 'openid', 'client-id': 'pve-cli', 'client-key': expect.any(String), autocreate: 1, 'issuer-url': sandbox.idpUrl})
    const cli = JSON.parse((await realmConfig(ticket, 'cli')).body) as {data: Record<string, unknown>}
    expect(cli.data).not.toHaveProperty('client-key')
    expect(cli.data).toMatchObject({'groups-claim': 'groups', 'groups-autocreate': 1})
    expect((await realmConfig(ticket, 'nope')).status).toBe(500)
  })

  test("the Date header follows the node's clock", async () => {
    await sandbox.setClock(900)
    const response = await sandbox.pve('/api2/json/access/domains')
    const skew = (Date.parse(String(response.headers.date)) - Date.now()) / 1000
    expect(skew).toBeGreaterThan(890)
    expect(skew).toBeLessThan(910)
  })

  test('realms can be limited to some, with another default', async () => {
    await sandbox.setRealms(['pam', 'cli'], 'cli')
    const response = JSON.parse((await sandbox.pve('/api2/json/access/domains')).body) as {data: Array<{realm: string; default?: number}>}
    expect(response.data).toEqual([expect.objectContaining({realm: 'pam'}), expect.objectContaining({realm: 'cli', default: 1})])
    expect(response.data[0]).not.toHaveProperty('default')
    const missing = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm: 'misconf', 'redirect-url': LOOPBACK_REDIRECT}})
    expect(missing.status).toBe(500)
  })
})
