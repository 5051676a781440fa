/**
 * `pve-login doctor` through the CLI (in-process, helpers/in-process.ts) against the sandbox: every check passes
 * against the healthy sandbox and fails, with its own fix, against a sandbox broken for it.
 */
import {createServer, type AddressInfo, type Server} from 'node:net'

import {afterAll, beforeAll, beforeEach, describe, expect, test} from '@jest/globals'

import {countRequests, makeTempDir, removeDir, type CliResult} from './helpers/cli.js'
import {runInProcess, seedLoginInProcess} from './helpers/in-process.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

interface Check {
  check: string
  status: 'ok' | 'warn' | 'fail' | 'skip'
  detail: string
  fix: string | null
}

let sandbox: SandboxProcess
/** A home with alice@cli's session: doctor reads the PVE version and the realms' settings with it. */
let seeded: string
let empty: string

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  ;[seeded, empty] = await Promise.all([makeTempDir('pve-login-doctor-'), makeTempDir('pve-login-doctor-empty-')])
  await seedLoginInProcess(sandbox, seeded)
})

afterAll(async () => {
  await sandbox?.stop()
  await Promise.all([seeded, empty].filter(Boolean).map((dir) => removeDir(dir)))
})

beforeEach(async () => {
  await sandbox.reset()
})

interface DoctorRun {
  realm?: string
  home?: string
  args?: string[]
  env?: Record<string, string | undefined>
  pin?: boolean
}

function doctorArgs(run: DoctorRun): string[] {
  return [
    'doctor',
    '--server', sandbox.pveUrl,
    ...(run.realm === undefined ? [] : ['--realm', run.realm]),
    ...(run.pin === false ? [] : ['--fingerprint', sandbox.fingerprint]),
    '--store', 'file',
    '--browser-command', sandbox.robotBrowser,
    ...(run.args ?? []),
  ]
}

async function doctorJson(run: DoctorRun = {}): Promise<{result: CliResult; checks: Record<string, Check>}> {
  const result = await runInProcess([...doctorArgs(run), '--json'], {env: {PVE_LOGIN_HOME: run.home ?? seeded, ...run.env}})
  const list = JSON.parse(result.stdout) as Check[]
  return {result, checks: Object.fromEntries(list.map((entry) => [entry.check, entry]))}
}

const ALL_CHECKS = ['server', 'clock', 'pve-version', 'realm', 'auth-url', 'discovery', 'pkce', 'id-token-signing', 'authorization', 'client-type', 'loopback', 'store', 'browser']

describe('the healthy sandbox', () => {
  test('realm cli: every check is ok, exit 0, and the JSON is a list of {check, status, detail, fix}', async () => {
    const {result, checks} = await doctorJson({realm: 'cli'})
    expect(result.code).toBe(0)
    expect(Object.keys(checks)).toEqual(ALL_CHECKS)
    expect(Object.values(checks).filter((check) => check.status !== 'ok')).toEqual([])
    expect(Object.values(checks).every((check) => check.fix === null && check.detail.length > 0)).toBe(true)
    expect(checks['realm']!.detail).toMatch(/client-key not set/)
  })

  test('as text: one line per check on stderr, nothing on stdout; doctor neither logs in nor renews', async () => {
    await sandbox.resetLog()
    const result = await runInProcess(doctorArgs({realm: 'keycloak'}), {env: {PVE_LOGIN_HOME: seeded}})
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    for (const check of ALL_CHECKS) expect(result.stderr).toMatch(new RegExp(`^ok +${check} `, 'm'))
    expect(result.stderr).toMatch(/Nothing failed\.\n$/)
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'POST', '/api2/json/access/openid/login') + countRequests(log, 'POST', '/api2/json/access/ticket')).toBe(0)
    expect(countRequests(log, 'POST', '/api2/json/access/openid/auth-url')).toBe(1)
  })
})

describe('each check, broken on purpose', () => {
  test('server: an unpinned self-signed certificate fails with its fingerprint and --fingerprint; the rest is skipped, exit 1', async () => {
    // The empty home: the seeded one remembers the pin with the server.
    const {result, checks} = await doctorJson({realm: 'cli', pin: false, home: empty})
    expect(result.code).toBe(1)
    expect(checks['server']).toMatchObject({status: 'fail', fix: expect.stringContaining(`--fingerprint ${sandbox.fingerprint}`)})
    for (const check of ['clock', 'realm', 'auth-url', 'client-type']) expect(checks[check]!.status).toBe('skip')
    expect(checks['loopback']!.status).toBe('ok')
  })

  test("clock: the node 15 minutes ahead fails and says by how much", async () => {
    await sandbox.setClock(900)
    const {checks} = await doctorJson({realm: 'cli'})
    expect(checks['clock']).toMatchObject({status: 'fail', fix: expect.stringMatching(/Synchronise both clocks .*the node's is 9\d\d s ahead/)})
  })

  test('pve-version: without a cached ticket it is unknown, with the command to log in; with one it names the version', async () => {
    const {checks} = await doctorJson({realm: 'cli', home: empty})
    expect(checks['pve-version']).toMatchObject({status: 'skip', detail: expect.stringMatching(/^Unknown/), fix: expect.stringContaining(`Log in once (pve-login --server ${sandbox.pveUrl} --realm cli)`)})
    await sandbox.setPveVersion('8.4.1')
    expect((await doctorJson({realm: 'cli'})).checks['pve-version']).toMatchObject({status: 'ok', detail: expect.stringContaining('PVE 8.4.1')})
  })

  test('realm: an unknown realm fails with the OpenID realms to choose from', async () => {
    const {checks} = await doctorJson({realm: 'nope'})
    expect(checks['realm']).toMatchObject({status: 'fail', fix: expect.stringMatching(/^Name one with --realm: cli, misconf, ui, /)})
    expect(checks['auth-url']!.status).toBe('skip')
  })

  test('realm: without --realm it lists the OpenID realms; with a single one it checks that one', async () => {
    // The empty home: the seeded one remembers realm cli.
    await sandbox.setRealms(['pam', 'cli', 'ui'])
    const listed = await doctorJson({home: empty})
    expect(listed.checks['realm']).toMatchObject({status: 'warn', detail: expect.stringContaining('cli (Sandbox IdP, public client pve-cli'), fix: 'Name one with --realm: cli, ui.'})
    await sandbox.setRealms(['pam', 'cli'])
    const single = await doctorJson({home: empty})
    expect(single.checks['realm']!.detail).toMatch(/^Realm cli is an OpenID realm/)
    expect(single.checks['auth-url']!.status).toBe('ok')
  })

  test("auth-url: PVE's own discovery failing (a wrong issuer-url) fails with PVE's message and where to look", async () => {
    const {checks} = await doctorJson({realm: 'broken'})
    expect(checks['auth-url']).toMatchObject({status: 'fail', detail: expect.stringContaining('404 Not Found'), fix: expect.stringMatching(/issuer-url .*journalctl -u pvedaemon/)})
  })

  test("discovery: authentik's layout (endpoints outside the issuer) is not found without the realm's settings, and found with them", async () => {
    const without = await doctorJson({realm: 'es256', home: empty})
    expect(without.checks['discovery']).toMatchObject({status: 'fail', fix: expect.stringContaining("doctor needs the realm's issuer-url: log in once")})
    expect(without.checks['pkce']!.status).toBe('skip')
    const withSettings = await doctorJson({realm: 'es256'})
    expect(withSettings.checks['discovery']).toMatchObject({status: 'ok', detail: expect.stringContaining(`Issuer ${sandbox.idpUrl}/application/o/pve/`)})
  })

  test('pkce: an IdP offering plain only fails', async () => {
    const {checks} = await doctorJson({realm: 'plainpkce'})
    expect(checks['pkce']).toMatchObject({status: 'fail', detail: expect.stringContaining('plain but not S256'), fix: expect.stringContaining('Turn on PKCE with S256')})
  })

  test('id-token-signing: ES256 fails on PVE 8 with the RS256 fix for authentik, passes on PVE 9', async () => {
    await sandbox.setPveVersion('8.4.1')
    const old = await doctorJson({realm: 'es256'})
    expect(old.checks['id-token-signing']).toMatchObject({status: 'fail', detail: expect.stringContaining('PVE 8.4.1 accepts RS256 only'), fix: expect.stringContaining('pick an RSA certificate as Signing Key')})
    await sandbox.setPveVersion('9.1.1')
    expect((await doctorJson({realm: 'es256'})).checks['id-token-signing']!.status).toBe('ok')
  })

  test("authorization: a client whose redirect URIs exclude ours fails with the IdP's words and the URI to register", async () => {
    const {checks} = await doctorJson({realm: 'ui'})
    expect(checks['authorization']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining("redirect_uri did not match any of the client's registered redirect_uris"),
      fix: expect.stringMatching(/^Register http:\/\/127\.0\.0\.1\/callback as a redirect URI of client pve-ui .*pveum realm add ui-cli --type openid/),
    })
  })

  test('client-type (misconf): the public client behind a realm with a client-key; the fix deletes it or adds a second realm', async () => {
    const secret = (JSON.parse((await sandbox.pve('/api2/json/access/domains/misconf', {headers: {cookie: `PVEAuthCookie=${await aliceTicket()}`}})).body) as {data: {'client-key': string}}).data['client-key']
    const {result, checks} = await doctorJson({realm: 'misconf'})
    expect(result.code).toBe(1)
    expect(checks['realm']!.detail).toContain('client-key set')
    expect(checks['client-type']).toMatchObject({status: 'fail', detail: expect.stringContaining('but realm misconf has a client-key')})
    expect(checks['client-type']!.fix).toContain('pveum realm modify misconf --delete client-key')
    expect(checks['client-type']!.fix).toContain(`pveum realm add misconf-cli --type openid --issuer-url ${sandbox.idpUrl} --client-id pve-cli --autocreate 1`)
    // Never a secret in the output.
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret)
  })

  test('client-type (secret-nokey): a confidential client and no client-key; with the key (realm secret) it is ok', async () => {
    const {checks} = await doctorJson({realm: 'secret-nokey'})
    expect(checks['client-type']).toMatchObject({status: 'fail', fix: expect.stringContaining("pveum realm modify secret-nokey --client-key '<secret>'")})
    expect(checks['client-type']!.fix).toContain('pveum realm add secret-nokey-cli --type openid')
    expect((await doctorJson({realm: 'secret'})).checks['client-type']).toMatchObject({status: 'ok', detail: expect.stringContaining('confidential client')})
  })

  test('loopback: a --port that is taken fails and names it', async () => {
    const holder: Server = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const port = (holder.address() as AddressInfo).port
    try {
      const {checks} = await doctorJson({realm: 'cli', args: ['--port', String(port)]})
      expect(checks['loopback']).toMatchObject({status: 'fail', fix: expect.stringContaining(`Free port ${port}`)})
      // auth-url could not bind either: it reports that instead of asking PVE.
      expect(checks['auth-url']!.status).toBe('fail')
    } finally {
      holder.close()
    }
  })

  test('store: no keychain answering (no session bus) warns where tickets go instead', async () => {
    const result = await runInProcess([...doctorArgs({realm: 'cli'}).filter((arg, index, all) => arg !== '--store' && all[index - 1] !== '--store'), '--json'], {
      env: {PVE_LOGIN_HOME: empty, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus'},
    })
    const store = (JSON.parse(result.stdout) as Check[]).find((check) => check.check === 'store')
    expect(store).toMatchObject({status: 'warn', fix: expect.stringContaining(`Tickets then go to ${empty}`)})
  })

  test('browser: no display and no browser command warns with the paste route', async () => {
    const result = await runInProcess(['doctor', '--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--store', 'file', '--json'], {env: {PVE_LOGIN_HOME: seeded}})
    const browser = (JSON.parse(result.stdout) as Check[]).find((check) => check.check === 'browser')
    expect(browser).toMatchObject({status: 'warn', fix: expect.stringContaining('--no-browser')})
  })
})

async function aliceTicket(): Promise<string> {
  const {readdir, readFile} = await import('node:fs/promises')
  const {join} = await import('node:path')
  const directory = join(seeded, 'sessions')
  const [file] = await readdir(directory)
  return (JSON.parse(await readFile(join(directory, file!), 'utf8')) as {ticket: string}).ticket
}
