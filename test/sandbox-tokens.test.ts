import {afterAll, beforeAll, beforeEach, describe, expect, test} from '@jest/globals'

import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'
import {signInAtIdp} from './sandbox/idp-sign-in.js'

/**
 * The sandbox's API tokens, driven over HTTP as a client drives PVE (pve-access-control src/PVE/API2/User.pm,
 * src/PVE/API2/ACL.pm, src/PVE/AccessControl.pm verify_token): creation and its answer, using a token without a
 * CSRF token, what a token may not do, expiry on the sandbox clock, deletion, privilege separation with token ACLs.
 */
let sandbox: SandboxProcess

interface Login {
  username: string
  ticket: string
  CSRFPreventionToken: string
}

interface Created {
  'full-tokenid': string
  info: {privsep: number; expire?: number; comment?: string}
  value: string
}

let alice: Login
let bob: Login
let root: Login

async function openidLogin(realm: string, username: string): Promise<Login> {
  const started = await sandbox.pve('/api2/json/access/openid/auth-url', {form: {realm, 'redirect-url': 'http://127.0.0.1:43123/callback'}})
  const callback = await signInAtIdp(new URL((JSON.parse(started.body) as {data: string}).data), {username, password: `${username}-password`})
  const response = await sandbox.pve('/api2/json/access/openid/login', {
    form: {state: callback.searchParams.get('state') ?? '', code: callback.searchParams.get('code') ?? '', 'redirect-url': 'http://127.0.0.1:43123/callback'},
  })
  expect(response.status).toBe(200)
  return (JSON.parse(response.body) as {data: Login}).data
}

function withTicket(login: Login, method = 'GET'): Record<string, string> {
  return {cookie: `PVEAuthCookie=${login.ticket}`, ...(method === 'GET' ? {} : {csrfpreventiontoken: login.CSRFPreventionToken})}
}

function withToken(fullTokenId: string, secret: string): Record<string, string> {
  return {authorization: `PVEAPIToken=${fullTokenId}=${secret}`}
}

const tokenPath = (userid: string, tokenid = ''): string =>
  `/api2/json/access/users/${encodeURIComponent(userid)}/token${tokenid ? `/${encodeURIComponent(tokenid)}` : ''}`

async function createToken(login: Login, tokenid: string, form: Record<string, string> = {}, userid = login.username): Promise<Created> {
  const response = await sandbox.pve(tokenPath(userid, tokenid), {method: 'POST', form, headers: withTicket(login, 'POST')})
  expect({status: response.status, body: response.body}).toMatchObject({status: 200})
  return (JSON.parse(response.body) as {data: Created}).data
}

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  ;[alice, bob] = await Promise.all([openidLogin('cli', 'alice'), openidLogin('noauto', 'bob')])
  const rootLogin = await sandbox.pve('/api2/json/access/ticket', {form: {username: 'root@pam', password: sandbox.rootPassword}})
  root = (JSON.parse(rootLogin.body) as {data: Login}).data
})

afterAll(async () => {
  await sandbox?.stop()
})

beforeEach(async () => {
  await sandbox.reset()
})

describe('creating, listing, deleting', () => {
  test("a user creates a token for itself: PVE's answer, the value once, then listed without it", async () => {
    const expire = Math.floor(Date.now() / 1000) + 3600
    const created = await createToken(alice, 'run-1', {expire: String(expire), privsep: '0', comment: 'pve-login test'})
    expect(created['full-tokenid']).toBe('alice@cli!run-1')
    expect(created.info).toEqual({privsep: 0, expire, comment: 'pve-login test'})
    expect(created.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)

    const list = await sandbox.pve(tokenPath('alice@cli'), {headers: withTicket(alice)})
    expect(JSON.parse(list.body)).toEqual({data: [{tokenid: 'run-1', privsep: 0, expire, comment: 'pve-login test'}]})
    expect(list.body).not.toContain(created.value)
    const one = await sandbox.pve(tokenPath('alice@cli', 'run-1'), {headers: withTicket(alice)})
    expect(JSON.parse(one.body)).toEqual({data: {privsep: 0, expire, comment: 'pve-login test'}})
  })

  test('defaults: privsep 1, no expiry (0 when read back); the answer has only privsep', async () => {
    const created = await createToken(alice, 'defaults')
    expect(created.info).toEqual({privsep: 1})
    const one = await sandbox.pve(tokenPath('alice@cli', 'defaults'), {headers: withTicket(alice)})
    expect(JSON.parse(one.body)).toEqual({data: {privsep: 1, expire: 0}})
  })

  test('PUT changes expire, privsep and comment (an empty comment removes it) and answers the token info', async () => {
    await createToken(alice, 'changed', {comment: 'before'})
    const put = (form: Record<string, string>) => sandbox.pve(tokenPath('alice@cli', 'changed'), {method: 'PUT', form, headers: withTicket(alice, 'PUT')})
    expect(JSON.parse((await put({expire: '2000000000', privsep: '0', comment: 'after'})).body)).toEqual({data: {privsep: 0, expire: 2000000000, comment: 'after'}})
    expect(JSON.parse((await put({comment: ''})).body)).toEqual({data: {privsep: 0, expire: 2000000000}})
  })

  test("an existing id is PVE's 400 'Token already exists.'; a bad id fails the schema pattern", async () => {
    await createToken(alice, 'twice')
    const again = await sandbox.pve(tokenPath('alice@cli', 'twice'), {method: 'POST', form: {}, headers: withTicket(alice, 'POST')})
    expect(again.status).toBe(400)
    expect(JSON.parse(again.body)).toMatchObject({errors: {tokenid: 'Token already exists.'}})
    const bad = await sandbox.pve(tokenPath('alice@cli', '1-starts-with-a-digit'), {method: 'POST', form: {}, headers: withTicket(alice, 'POST')})
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body)).toMatchObject({errors: {tokenid: 'value does not match the regex pattern'}})
  })

  test('writes with a ticket still need the CSRF token', async () => {
    const response = await sandbox.pve(tokenPath('alice@cli', 'no-csrf'), {method: 'POST', form: {}, headers: withTicket(alice)})
    expect(response.status).toBe(401)
    expect(response.statusMessage).toBe('Permission denied - invalid csrf token')
  })

  test("DELETE answers null; the token is gone, and deleting it again is PVE's 'no such token'", async () => {
    const created = await createToken(alice, 'short')
    const deleted = await sandbox.pve(tokenPath('alice@cli', 'short'), {method: 'DELETE', headers: withTicket(alice, 'DELETE')})
    expect(JSON.parse(deleted.body)).toEqual({data: null})
    const use = await sandbox.pve('/api2/json/version', {headers: withToken(created['full-tokenid'], created.value)})
    expect(use.status).toBe(401)
    expect(use.statusMessage).toBe("no such token 'short' for user 'alice@cli'")
    const again = await sandbox.pve(tokenPath('alice@cli', 'short'), {method: 'DELETE', headers: withTicket(alice, 'DELETE')})
    expect(again.status).toBe(500)
    expect(JSON.parse(again.body)).toMatchObject({message: "no such token 'short' for user 'alice@cli'\n"})
  })
})

describe('who may manage tokens', () => {
  test("another user's tokens are refused (403); root@pam may manage them", async () => {
    const refused = await sandbox.pve(tokenPath('bob@noauto', 'x1'), {method: 'POST', form: {}, headers: withTicket(alice, 'POST')})
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body)).toMatchObject({message: 'Permission check failed\n'})
    expect((await sandbox.pve(tokenPath('bob@noauto'), {headers: withTicket(alice)})).status).toBe(403)
    const created = await createToken(root, 'by-root', {}, 'bob@noauto')
    expect(created['full-tokenid']).toBe('bob@noauto!by-root')
    expect((await sandbox.pve(tokenPath('bob@noauto'), {headers: withTicket(bob)})).status).toBe(200)
  })

  test('a request made with a token cannot create, list or delete tokens, not even its own user’s', async () => {
    const created = await createToken(alice, 'full', {privsep: '0'})
    const auth = withToken(created['full-tokenid'], created.value)
    expect((await sandbox.pve(tokenPath('alice@cli', 'child'), {method: 'POST', form: {}, headers: auth})).status).toBe(403)
    expect((await sandbox.pve(tokenPath('alice@cli'), {headers: auth})).status).toBe(403)
    expect((await sandbox.pve(tokenPath('alice@cli', 'full'), {method: 'DELETE', headers: auth})).status).toBe(403)
  })
})

describe('using a token', () => {
  test('Authorization: PVEAPIToken works on GET and, without any CSRF token, on POST', async () => {
    const created = await createToken(alice, 'use', {privsep: '0'})
    const auth = withToken(created['full-tokenid'], created.value)
    const version = await sandbox.pve('/api2/json/version', {headers: auth})
    expect(version.status).toBe(200)
    const clone = await sandbox.pve('/api2/json/nodes/pve1/qemu/9000/clone', {method: 'POST', form: {newid: '321', name: 'from-token'}, headers: auth})
    expect(clone.status).toBe(200)
    expect(JSON.parse(clone.body).data).toMatch(/:alice@cli!use:$/)
  })

  test("a wrong secret or an unknown user is a body-less 401 with verify_token's words", async () => {
    const created = await createToken(alice, 'wrong')
    const wrong = await sandbox.pve('/api2/json/version', {headers: withToken(created['full-tokenid'], '00000000-0000-0000-0000-000000000000')})
    expect([wrong.status, wrong.statusMessage, wrong.body]).toEqual([401, 'invalid token value!', ''])
    const nobody = await sandbox.pve('/api2/json/version', {headers: withToken('nobody@cli!wrong', created.value)})
    expect([nobody.status, nobody.statusMessage]).toEqual([401, "no such user ('nobody@cli')"])
  })

  test('the expiry is checked against the sandbox clock; a disabled user’s token is refused too', async () => {
    const now = Math.floor(Date.now() / 1000)
    const created = await createToken(alice, 'ttl', {expire: String(now + 600), privsep: '0'})
    const auth = withToken(created['full-tokenid'], created.value)
    expect((await sandbox.pve('/api2/json/version', {headers: auth})).status).toBe(200)
    await sandbox.setClock(601 + 5)
    const expired = await sandbox.pve('/api2/json/version', {headers: auth})
    expect([expired.status, expired.statusMessage]).toEqual([401, "token 'ttl' access expired"])
    await sandbox.setClock(0)
    await sandbox.setUserEnabled('alice@cli', false)
    try {
      const disabled = await sandbox.pve('/api2/json/version', {headers: auth})
      expect([disabled.status, disabled.statusMessage]).toEqual([401, "user 'alice@cli' is disabled"])
    } finally {
      await sandbox.setUserEnabled('alice@cli', true)
    }
  })

  test('a ticket outlives nothing: 3 hours later the ticket is refused while a token still works', async () => {
    const created = await createToken(alice, 'long', {expire: String(Math.floor(Date.now() / 1000) + 8 * 3600), privsep: '0'})
    await sandbox.setClock(3 * 3600)
    expect((await sandbox.pve('/api2/json/version', {headers: withTicket(alice)})).status).toBe(401)
    expect((await sandbox.pve('/api2/json/version', {headers: withToken(created['full-tokenid'], created.value)})).status).toBe(200)
  })

  test('the request log holds method, path and status, never the secret', async () => {
    const created = await createToken(alice, 'logged', {privsep: '0'})
    await sandbox.pve('/api2/json/version', {headers: withToken(created['full-tokenid'], created.value)})
    const log = await sandbox.requestLog()
    expect(log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      'POST /api2/json/access/users/alice%40cli/token/logged 200',
      'GET /api2/json/version 200',
    ])
    expect(JSON.stringify(log)).not.toContain(created.value)
    expect(await sandbox.apiTokens()).toContainEqual({userid: 'alice@cli', tokenid: 'logged', privsep: 0, expire: 0})
  })
})

describe('privilege separation', () => {
  const permissions = async (fullTokenId: string, secret: string, path?: string): Promise<unknown> => {
    const response = await sandbox.pve(`/api2/json/access/permissions${path ? `?path=${encodeURIComponent(path)}` : ''}`, {headers: withToken(fullTokenId, secret)})
    return (JSON.parse(response.body) as {data: unknown}).data
  }
  const grant = (login: Login, form: Record<string, string>) => sandbox.pve('/api2/json/access/acl', {method: 'PUT', form, headers: withTicket(login, 'PUT')})

  test("privsep=0: the user's rights; privsep=1: none until an ACL is granted to the token", async () => {
    const full = await createToken(alice, 'same-rights', {privsep: '0'})
    const separate = await createToken(alice, 'separate')
    expect(await permissions(full['full-tokenid'], full.value)).toEqual(
      (JSON.parse((await sandbox.pve('/api2/json/access/permissions', {headers: withTicket(alice)})).body) as {data: unknown}).data,
    )
    expect(await permissions(separate['full-tokenid'], separate.value)).toEqual({})
    expect(await permissions(separate['full-tokenid'], separate.value, '/vms/100')).toEqual({'/vms/100': {}})
  })

  test('granting needs Permissions.Modify on the path (403 without it); what is granted never exceeds the user', async () => {
    const separate = await createToken(alice, 'granted')
    const refused = await grant(alice, {path: '/', roles: 'PVEAuditor', tokens: separate['full-tokenid']})
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body)).toMatchObject({message: 'Permission check failed\n'})

    const byRoot = await grant(root, {path: '/', roles: 'Administrator', tokens: separate['full-tokenid']})
    expect(JSON.parse(byRoot.body)).toEqual({data: null})
    const atRoot = (await permissions(separate['full-tokenid'], separate.value, '/')) as Record<string, Record<string, number>>
    // Administrator granted, but alice herself is only PVEAuditor on /.
    expect(atRoot['/']?.['Sys.Audit']).toBe(1)
    expect(atRoot['/']?.['Sys.Modify']).toBeUndefined()
  })

  test("on /vms/ID, VM.Allocate is enough to grant roles whose privileges the user has there (ACL.pm's subset rule)", async () => {
    const separate = await createToken(alice, 'vm-scope')
    expect((await grant(alice, {path: '/vms/100', roles: 'PVEVMAdmin', tokens: separate['full-tokenid']})).status).toBe(200)
    const tooMuch = await grant(alice, {path: '/vms/100', roles: 'Administrator', tokens: separate['full-tokenid']})
    expect(tooMuch.status).toBe(400)
    expect(JSON.parse(tooMuch.body)).toMatchObject({errors: {role: "Cannot add role 'Administrator' - requires 'Permissions.Modify' or superset of privileges."}})
    const atVm = (await permissions(separate['full-tokenid'], separate.value, '/vms/100')) as Record<string, Record<string, number>>
    expect(atVm['/vms/100']?.['VM.PowerMgmt']).toBe(1)
    expect(await permissions(separate['full-tokenid'], separate.value, '/vms/101')).toEqual({'/vms/101': {}})
  })
})
