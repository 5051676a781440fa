import {describe, expect, test} from '@jest/globals'

import {apiTokenOptions} from '../src/cli/api-token-options.js'
import {cliHint} from '../src/cli/cli-wording.js'
import {apiTokenRows} from '../src/cli/api-token-report.js'
import {ApiTokenError, InvalidInputError} from '../src/errors.js'
import {renderApiTokenTable} from '../src/format/api-token-table.js'
import {apiTokenVariables, competingWithToken, type Consumer, type TokenCredentials} from '../src/format/environment.js'
import {apiTokenComment, describeListedToken, parseApiTokenComment} from '../src/session/api-token.js'

/** The pure parts of API tokens: variables per preset, the CLI flags, the comment marker, the api-tokens states. */
const TOKEN: TokenCredentials = {
  server: 'https://pve.example.com:8006',
  username: 'alice@oidc',
  fullTokenId: 'alice@oidc!pve-login-3f9a1c2e',
  tokenId: 'pve-login-3f9a1c2e',
  secret: '5a1b2c3d-0000-4000-8000-000000000001',
  expiresAt: '2026-12-02T05:00:00.000Z',
}

const asObject = (consumer?: Consumer | Consumer[], insecure = false) =>
  Object.fromEntries(apiTokenVariables(TOKEN, {consumer, insecure}).variables)

describe('apiTokenVariables', () => {
  test('each preset holds exactly the names its tool reads for a token, and never a ticket or password', () => {
    expect(asObject()).toEqual({
      PROXMOX_VE_ENDPOINT: 'https://pve.example.com:8006',
      PROXMOX_VE_API_TOKEN: `${TOKEN.fullTokenId}=${TOKEN.secret}`,
      PVE_LOGIN_USERNAME: 'alice@oidc',
      PVE_LOGIN_EXPIRES_AT: '2026-12-02T05:00:00Z',
    })
    expect(asObject('telmate')).toEqual({PM_API_URL: 'https://pve.example.com:8006/api2/json', PM_API_TOKEN_ID: TOKEN.fullTokenId, PM_API_TOKEN_SECRET: TOKEN.secret})
    expect(asObject('packer')).toEqual({PROXMOX_URL: 'https://pve.example.com:8006/api2/json', PROXMOX_USERNAME: TOKEN.fullTokenId, PROXMOX_TOKEN: TOKEN.secret})
    expect(asObject('ansible')).toEqual({
      PROXMOX_HOST: 'pve.example.com',
      PROXMOX_PORT: '8006',
      PROXMOX_USER: 'alice@oidc',
      PROXMOX_TOKEN_ID: 'pve-login-3f9a1c2e',
      PROXMOX_TOKEN_SECRET: TOKEN.secret,
    })
    expect(asObject('proxmoxer')).toEqual(asObject('ansible'))
    const all = asObject('all')
    for (const name of ['PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN', 'PM_PASS', 'PROXMOX_PASSWORD']) expect(all).not.toHaveProperty(name)
  })

  test('--insecure adds each tool\'s own TLS switch; proxmoxer gets a note on how to pass token_name/token_value', () => {
    expect(asObject('bpg', true)).toHaveProperty('PROXMOX_VE_INSECURE', 'true')
    expect(asObject('ansible', true)).toHaveProperty('PROXMOX_VALIDATE_CERTS', 'false')
    const {notes} = apiTokenVariables(TOKEN, {consumer: 'proxmoxer'})
    expect(notes.join('\n')).toMatch(/token_name=os\.environ\['PROXMOX_TOKEN_ID'\], token_value=os\.environ\['PROXMOX_TOKEN_SECRET'\]/)
    expect(notes.join('\n')).not.toContain(TOKEN.secret)
  })

  test('the passwords a tool would prefer to the token are named for removal', () => {
    expect(competingWithToken({consumer: 'ansible'})).toEqual(['PROXMOX_PASSWORD'])
    expect(competingWithToken({consumer: ['telmate', 'packer']})).toEqual(['PM_PASS', 'PROXMOX_PASSWORD'])
    expect(competingWithToken()).toEqual([])
  })
})

describe('apiTokenOptions (the CLI flags)', () => {
  test('no --api-token: no token; the default TTL is 8h, privsep off', () => {
    expect(apiTokenOptions({'api-token-ttl': '8h'})).toBeUndefined()
    expect(apiTokenOptions({'api-token': true, 'api-token-ttl': '8h'})).toEqual({ttlSeconds: 8 * 3600, privsep: false})
    expect(apiTokenOptions({'api-token': true, 'api-token-ttl': '7d'})?.ttlSeconds).toBe(7 * 86_400)
  })

  test.each([
    [{'api-token': true, 'api-token-ttl': '8d'}, /outside what pve-login mints/],
    [{'api-token': true, 'api-token-ttl': '0'}, /outside what pve-login mints/],
    [{'api-token': true, privsep: true}, /no rights at all/],
    [{'api-token': true, 'privsep-acl': ['/=PVEAuditor']}, /needs --privsep/],
    [{privsep: true}, /only apply to an API token/],
    [{'api-token': true, privsep: true, 'privsep-acl': ['vms=PVEAuditor']}, /is not PATH=ROLE/],
  ])('%j is a usage error', (flags, message) => {
    expect(() => apiTokenOptions(flags)).toThrow(InvalidInputError)
    expect(() => apiTokenOptions(flags)).toThrow(message)
  })

  test('--privsep-acl PATH=ROLE becomes ACL entries', () => {
    expect(apiTokenOptions({'api-token': true, privsep: true, 'privsep-acl': ['/vms/100=PVEVMAdmin', '/=PVEAuditor']})).toEqual({
      ttlSeconds: 8 * 3600,
      privsep: true,
      acl: [
        {path: '/vms/100', role: 'PVEVMAdmin'},
        {path: '/', role: 'PVEAuditor'},
      ],
    })
  })

  test("an API-token error's advice reads in option names from the library and in flags from the CLI", () => {
    const grant = new ApiTokenError('API_TOKEN_NO_RIGHTS', 'no', {advice: {kind: 'api-token-grant-refused'}})
    expect(grant.hint).toMatch(/do without privsep: true/)
    expect(cliHint(grant)).toMatch(/do without --privsep:/)
    const needsAcl = new ApiTokenError('API_TOKEN_NO_RIGHTS', 'no', {advice: {kind: 'api-token-needs-acl'}})
    expect(needsAcl.hint).toMatch(/acl: \[\{path, role\}\]/)
    expect(cliHint(needsAcl)).toMatch(/--privsep-acl \/vms\/100=PVEVMAdmin/)
    expect(cliHint(new ApiTokenError('API_TOKEN_UNSUPPORTED', 'old', {advice: {kind: 'api-token-unsupported'}}))).toMatch(/instead of using --api-token/)
  })
})

describe('the comment marker and api-tokens states', () => {
  const createdAt = new Date('2026-12-01T21:00:00.000Z')

  test('the marker round-trips, with or without a note; foreign comments are not markers', () => {
    const comment = apiTokenComment({host: 'build-1', pid: 4242, createdAt, note: 'exec'})
    expect(comment).toBe('pve-login on build-1 pid 4242 at 2026-12-01T21:00:00.000Z: exec')
    expect(parseApiTokenComment(comment)).toEqual({host: 'build-1', pid: 4242, createdAt, note: 'exec'})
    expect(parseApiTokenComment(apiTokenComment({host: 'h', pid: 1, createdAt}))).toEqual({host: 'h', pid: 1, createdAt})
    expect(parseApiTokenComment('terraform CI token')).toBeUndefined()
    expect(describeListedToken('alice@oidc', {tokenid: 'ci', privsep: true, expire: 0, comment}).marker).toBeUndefined()
  })

  test('live, expired and gone: by expiry, by the exec process, by the stored env token; other hosts only by expiry', () => {
    const now = new Date('2026-12-01T22:00:00Z')
    const listed = (tokenid: string, host: string, pid: number, note: string, expire: number) =>
      describeListedToken('alice@oidc', {tokenid, privsep: false, expire, comment: apiTokenComment({host, pid, createdAt, note})})
    const inAnHour = now.getTime() / 1000 + 3600
    const tokens = [
      listed('pve-login-00000001', 'here', 1, 'exec', inAnHour),
      listed('pve-login-00000002', 'here', 2, 'exec', inAnHour),
      listed('pve-login-00000003', 'here', 3, 'env', inAnHour),
      listed('pve-login-00000004', 'here', 4, 'env', inAnHour),
      listed('pve-login-00000005', 'elsewhere', 5, 'exec', inAnHour),
      listed('pve-login-00000006', 'elsewhere', 6, 'exec', now.getTime() / 1000 - 60),
      describeListedToken('alice@oidc', {tokenid: 'mine', privsep: false, expire: 0}),
    ]
    const rows = apiTokenRows(tokens, {now, host: 'here', storedTokenIds: new Set(['pve-login-00000003']), isRunning: (pid) => pid === 1})
    expect(rows.map((row) => `${row.tokenId} ${row.state}`)).toEqual([
      'pve-login-00000001 live',
      'pve-login-00000002 gone',
      'pve-login-00000003 live',
      'pve-login-00000004 gone',
      'pve-login-00000005 live',
      'pve-login-00000006 expired',
    ])
    const table = renderApiTokenTable(rows, new Set(['pve-login-00000002']))
    expect(table.split('\n')[0]).toMatch(/^TOKEN\s+EXPIRES\s+MADE BY\s+STATE$/)
    expect(table).toMatch(/alice@oidc!pve-login-00000002\s+in 1h\s+exec on here pid 2\s+gone, deleted/)
    expect(renderApiTokenTable([], new Set())).toBe('No API tokens made by pve-login.\n')
  })
})
