import {afterEach, expect, test} from '@jest/globals'

import {API_TOKEN_ID_PREFIX, ApiTokenError, getSession, InvalidInputError, type Session} from '../src/index.js'
import {mintApiToken} from '../src/session/api-token.js'
import {cleanEnv, useTempHomes} from './helpers/cli.js'
import {sandboxSessionOptions, useSandbox} from './helpers/sandbox.js'

/**
 * Session.createApiToken / withApiToken / listApiTokens against the sandbox PVE: the token works without the ticket,
 * is deleted when the work ends (whatever way it ends), and the typed errors say what PVE refused.
 */
const sessions: Session[] = []
// Registered before useSandbox's afterEach, so sessions close before the sandbox resets.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()))
})
const sandbox = useSandbox()
const {newHome} = useTempHomes('pve-login-library-tokens-')

async function aliceSession(): Promise<Session> {
  const session = await getSession(sandboxSessionOptions(sandbox, cleanEnv({PVE_LOGIN_HOME: await newHome()}), {interactive: true}))
  sessions.push(session)
  return session
}

const withToken = (fullTokenId: string, secret: string) => ({headers: {authorization: `PVEAPIToken=${fullTokenId}=${secret}`}})

async function pveLoginTokens(): Promise<string[]> {
  return (await sandbox.apiTokens()).filter((token) => token.tokenid.startsWith(API_TOKEN_ID_PREFIX)).map((token) => token.tokenid)
}

test('createApiToken: pve-login-<hex>, the user\'s rights by default, the TTL as PVE\'s expire, a marker comment; revoke() deletes it', async () => {
  const session = await aliceSession()
  const before = Date.now()
  const token = await session.createApiToken({ttlSeconds: 600})
  expect(token.tokenId).toMatch(/^pve-login-[0-9a-f]{8}$/)
  expect(token.fullTokenId).toBe(`alice@cli!${token.tokenId}`)
  expect(token.privsep).toBe(false)
  expect(token.expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 600_000)
  const [stored] = await sandbox.apiTokens()
  expect(stored).toMatchObject({userid: 'alice@cli', tokenid: token.tokenId, privsep: 0, expire: token.expiresAt.getTime() / 1000})
  expect(stored?.comment).toMatch(/^pve-login on \S+ pid \d+ at \d{4}-\d\d-\d\dT/)
  expect((await sandbox.pve('/api2/json/version', withToken(token.fullTokenId, token.secret))).status).toBe(200)

  const listed = await session.listApiTokens()
  expect(listed).toEqual([expect.objectContaining({tokenId: token.tokenId, privsep: false, marker: expect.objectContaining({pid: process.pid})})])
  expect(JSON.stringify(listed)).not.toContain(token.secret)

  expect(await token.revoke()).toBe(true)
  expect(await token.revoke()).toBe(false)
  expect(await pveLoginTokens()).toEqual([])
  expect((await sandbox.pve('/api2/json/version', withToken(token.fullTokenId, token.secret))).status).toBe(401)
})

test('withApiToken revokes after fn resolves and after it throws, and returns or rethrows what fn did', async () => {
  const session = await aliceSession()
  const status = await session.withApiToken({}, async (token) => {
    expect(await pveLoginTokens()).toEqual([token.tokenId])
    return (await sandbox.pve('/api2/json/version', withToken(token.fullTokenId, token.secret))).status
  })
  expect(status).toBe(200)
  expect(await pveLoginTokens()).toEqual([])
  const failure = new Error('the deployment failed')
  await expect(session.withApiToken({}, () => Promise.reject(failure))).rejects.toBe(failure)
  expect(await pveLoginTokens()).toEqual([])
})

test('privsep without ACLs, or with an ACL the user may not grant, is API_TOKEN_NO_RIGHTS and leaves no token', async () => {
  const session = await aliceSession()
  const none = await session.createApiToken({privsep: true}).catch((error: unknown) => error)
  expect(none).toBeInstanceOf(ApiTokenError)
  expect(none).toMatchObject({code: 'API_TOKEN_NO_RIGHTS'})
  const refused = await session.createApiToken({privsep: true, acl: [{path: '/', role: 'PVEAuditor'}]}).catch((error: unknown) => error)
  expect(refused).toMatchObject({code: 'API_TOKEN_NO_RIGHTS', message: expect.stringContaining('may not grant the role PVEAuditor on /')})
  expect((refused as ApiTokenError).hint).toMatch(/Permissions\.Modify/)
  expect(await pveLoginTokens()).toEqual([])
})

test('a privsep token with an ACL the user may grant has exactly that ACL', async () => {
  const session = await aliceSession()
  await session.withApiToken({privsep: true, acl: [{path: '/vms/100', role: 'PVEVMAdmin'}]}, async (token) => {
    expect(token.privsep).toBe(true)
    const response = await sandbox.pve('/api2/json/access/permissions?path=%2Fvms%2F100', withToken(token.fullTokenId, token.secret))
    expect((JSON.parse(response.body) as {data: Record<string, Record<string, number>>}).data['/vms/100']?.['VM.PowerMgmt']).toBe(1)
    const elsewhere = await sandbox.pve('/api2/json/access/permissions?path=%2Fvms%2F101', withToken(token.fullTokenId, token.secret))
    expect(JSON.parse(elsewhere.body)).toEqual({data: {'/vms/101': {}}})
  })
})

test('a TTL beyond 7 days or not a whole number is refused before anything reaches PVE', async () => {
  const session = await aliceSession()
  await sandbox.resetLog()
  for (const ttlSeconds of [8 * 86_400, 0, 1.5]) {
    await expect(session.createApiToken({ttlSeconds})).rejects.toBeInstanceOf(InvalidInputError)
  }
  expect(await sandbox.requestLog()).toEqual([])
})

test('a PVE without API tokens (older than 6.2: 501) is API_TOKEN_UNSUPPORTED', async () => {
  const session = await aliceSession()
  await sandbox.setApiTokens(false)
  const error = await session.createApiToken().catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(ApiTokenError)
  expect(error).toMatchObject({code: 'API_TOKEN_UNSUPPORTED', hint: expect.stringContaining('PVE 6.2')})
})

test('a taken id is retried with a new random one; three taken ids are API_TOKEN_ID_CLASH', async () => {
  const session = await aliceSession()
  const taken = await session.createApiToken()
  const takenSuffix = taken.tokenId.slice(API_TOKEN_ID_PREFIX.length)
  const request = <T>(method: string, path: string, params?: Record<string, unknown>) => session.request<T>(method, path, params)
  const suffixes = [takenSuffix, 'c0ffee00']
  const retried = await mintApiToken(request, 'alice@cli', {}, {now: () => new Date(), randomSuffix: () => suffixes.shift() ?? 'unused0'})
  expect(retried.tokenId).toBe('pve-login-c0ffee00')
  const clash = await mintApiToken(request, 'alice@cli', {}, {now: () => new Date(), randomSuffix: () => takenSuffix}).catch((caught: unknown) => caught)
  expect(clash).toMatchObject({code: 'API_TOKEN_ID_CLASH'})
  await Promise.all([taken.revoke(), retried.revoke()])
})
