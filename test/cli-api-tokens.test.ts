import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, afterEach, beforeAll, describe, expect, test} from '@jest/globals'

import {hasProxmoxer} from './helpers/capabilities.js'
import {copyHome, countRequests, fileAppears, makeTempDir, removeDir, runCli, startCli, type CliOptions, type CliResult} from './helpers/cli.js'
import {runInProcess, seedLoginInProcess} from './helpers/in-process.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

/**
 * `exec --api-token`, `env --api-token`, `logout` and `api-tokens` as real processes against the sandbox: the command
 * gets a working token, the token is gone afterwards however the command ended, it outlives the ticket, it is
 * stored and reused by env, deleted by logout, and what a kill -9 leaves behind expires and is pruned.
 */
let sandbox: SandboxProcess
let aliceHome: string
const homes: string[] = []
let root: {ticket: string; CSRFPreventionToken: string}

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  aliceHome = await makeTempDir()
  await seedLoginInProcess(sandbox, aliceHome)
  const login = await sandbox.pve('/api2/json/access/ticket', {form: {username: 'root@pam', password: sandbox.rootPassword}})
  root = (JSON.parse(login.body) as {data: typeof root}).data
})

afterEach(async () => {
  await sandbox.reset()
  // A failed test may leave a token behind; the next one must start without any (root@pam may delete them all).
  for (const token of await sandbox.apiTokens()) {
    await sandbox.pve(`/api2/json/access/users/${encodeURIComponent(token.userid)}/token/${token.tokenid}`, {
      method: 'DELETE',
      headers: {cookie: `PVEAuthCookie=${root.ticket}`, csrfpreventiontoken: root.CSRFPreventionToken},
    })
  }
})

afterAll(async () => {
  await Promise.all([aliceHome, ...homes].filter(Boolean).map(removeDir))
  await sandbox?.stop()
})

async function freshHome(): Promise<string> {
  const home = await copyHome(aliceHome)
  homes.push(home)
  return home
}

function cliEnv(home: string, extra: Record<string, string | undefined> = {}): CliOptions['env'] {
  return {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file', SANDBOX_CA: sandbox.caFile, ...extra}
}

/** A real process: for exec, whose child, signals and exit status are the point. */
function cli(home: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, {...options, env: cliEnv(home, options.env)})
}

/** In this process with a test IO: for everything else (env, status, logout, api-tokens). */
function inProcess(home: string, args: readonly string[]): Promise<CliResult> {
  return runInProcess(args, {env: cliEnv(home)})
}

async function pveLoginTokens(): Promise<string[]> {
  return (await sandbox.apiTokens()).filter((token) => token.tokenid.startsWith('pve-login-')).map((token) => `${token.userid}!${token.tokenid}`)
}

/**
 * The command under exec: calls GET /version with the bpg variables (PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN)
 * and, when given one, with a ticket as cookie; prints the statuses as JSON. `then` runs after that.
 */
function probe(options: {waitForLine?: boolean; afterParentDies?: boolean; then?: string} = {}): string {
  return `
    const https = require('node:https')
    const fs = require('node:fs')
    const ca = fs.readFileSync(process.env.SANDBOX_CA)
    const get = (headers) => new Promise((resolve, reject) => {
      https.get(process.env.PROXMOX_VE_ENDPOINT + '/api2/json/version', {ca, headers}, (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode))
      }).on('error', reject)
    })
    const run = async () => {
      const seen = {
        token: await get({authorization: 'PVEAPIToken=' + process.env.PROXMOX_VE_API_TOKEN}),
        tokenId: (process.env.PROXMOX_VE_API_TOKEN || '').split('=')[0],
        ticketVariable: process.env.PROXMOX_VE_AUTH_TICKET ?? null,
        // The secret is in the environment only: neither this command's argv nor pve-login's holds it.
        secretOnACommandLine: [process.argv.join(' '), fs.readFileSync('/proc/' + process.ppid + '/cmdline', 'utf8')].some((line) =>
          line.includes((process.env.PROXMOX_VE_API_TOKEN || '=').split('=')[1] || 'no secret')),
      }
      if (process.env.OLD_TICKET) seen.ticket = await get({cookie: 'PVEAuthCookie=' + process.env.OLD_TICKET})
      process.stdout.write(JSON.stringify(seen) + '\\n')
      if (process.env.PROBE_OUT) {
        fs.writeFileSync(process.env.PROBE_OUT + '.tmp', JSON.stringify(seen))
        fs.renameSync(process.env.PROBE_OUT + '.tmp', process.env.PROBE_OUT)
      }
      ${options.then ?? ''}
    }
    ${
      options.waitForLine
        ? `process.stdout.write('ready\\n'); process.stdin.once('data', () => run())`
        : options.afterParentDies
          ? // Orphaned, the command is re-parented: that is how it knows pve-login is gone.
            `process.stdout.write('ready\\n'); const parent = process.ppid; const watch = setInterval(() => { if (process.ppid !== parent) { clearInterval(watch); run() } }, 20)`
          : 'run()'
    }`
}

const WAITER = (handler: string) => `${handler}; process.stdout.write('ready\\n'); setInterval(() => {}, 1000)`

describe('exec --api-token', () => {
  test('the command calls PVE with the token (no ticket in its environment); afterwards PVE has no pve-login token', async () => {
    const home = await freshHome()
    const result = await cli(home, ['exec', '--api-token', '--', process.execPath, '-e', probe()])
    expect(result.code).toBe(0)
    const seen = JSON.parse(result.stdout)
    expect(seen).toMatchObject({token: 200, tokenId: expect.stringMatching(/^alice@cli!pve-login-[0-9a-f]{8}$/), ticketVariable: null, secretOnACommandLine: false})
    expect(result.stderr).toContain(`API token ${seen.tokenId} for this run`)
    expect(result.stderr).toContain(`deleted API token ${seen.tokenId}`)
    expect(await pveLoginTokens()).toEqual([])
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'DELETE', `/api2/json/access/users/alice%40cli/token/${seen.tokenId.split('!')[1]}`)).toBe(1)
  })

  test.each([
    ['exits non-zero', 'process.exit(3)', 3],
    ['is killed by a signal', "process.kill(process.pid, 'SIGKILL')", 137],
  ])('the token is deleted when the command %s', async (_what, then, code) => {
    const home = await freshHome()
    const result = await cli(home, ['exec', '--api-token', '--', process.execPath, '-e', probe({then})])
    expect(result.code).toBe(code)
    expect(JSON.parse(result.stdout.split('\n')[0] ?? '')).toMatchObject({token: 200})
    expect(await pveLoginTokens()).toEqual([])
  })

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s to pve-login reaches the command, and the token is deleted before pve-login exits %i', async (signal, code) => {
    const home = await freshHome()
    const running = startCli(['exec', '--api-token', '--', process.execPath, '-e', WAITER('0')], {env: cliEnv(home)})
    await running.waitForStdout(/ready\n/)
    expect(await pveLoginTokens()).toHaveLength(1)
    running.child.kill(signal)
    const result = await running.finished
    expect({code: result.code, signal: result.signal}).toEqual({code, signal: null})
    expect(result.stderr).toMatch(/deleted API token alice@cli!pve-login-/)
    expect(await pveLoginTokens()).toEqual([])
  })

  test('three hours later on the PVE clock the token still works while the ticket from the same login is refused', async () => {
    const home = await freshHome()
    const ticket = JSON.parse((await inProcess(home, ['ticket', '--json'])).stdout).ticket as string
    const running = startCli(['exec', '--api-token', '--', process.execPath, '-e', probe({waitForLine: true})], {env: cliEnv(home, {OLD_TICKET: ticket}), keepStdinOpen: true})
    await running.waitForStdout(/ready\n/)
    await sandbox.setClock(3 * 3600)
    running.writeLine('go')
    await running.waitForStdout(/\{.*\}\n/)
    // Back to now, so the session's ticket can delete the token (in real time, keepAlive renews it meanwhile).
    await sandbox.setClock(0)
    running.child.stdin.end()
    const result = await running.finished
    expect(JSON.parse(result.stdout.split('\n')[1] ?? '')).toMatchObject({token: 200, ticket: 401})
    expect(result.code).toBe(0)
    expect(await pveLoginTokens()).toEqual([])
  })

  test('kill -9 of pve-login leaves the token, which PVE refuses after its TTL; api-tokens --prune then deletes it', async () => {
    const home = await freshHome()
    const out = join(home, 'probe.json')
    const running = startCli(['exec', '--api-token', '--api-token-ttl', '10m', '--', process.execPath, '-e', probe({afterParentDies: true, then: 'process.exit(0)'})], {
      env: cliEnv(home, {PROBE_OUT: out}),
    })
    await running.waitForStdout(/ready\n/)
    const [fullTokenId] = await pveLoginTokens()
    running.child.kill('SIGKILL')
    await running.exited
    // The orphaned command is still there and makes its call (into a file: pve-login's pipes are gone).
    const seen = JSON.parse(await readFile(await fileAppears(out, 15_000), 'utf8'))
    expect(seen).toMatchObject({token: 200, tokenId: fullTokenId})
    expect(await pveLoginTokens()).toEqual([fullTokenId])

    const listed = JSON.parse((await inProcess(home, ['api-tokens', '--json'])).stdout)
    expect(listed).toEqual([expect.objectContaining({fullTokenId, madeBy: 'exec', state: 'gone', privsep: false})])
    expect(JSON.stringify(listed)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/)

    await sandbox.setClock(11 * 60)
    const refused = await sandbox.pve('/api2/json/version', {headers: {authorization: `PVEAPIToken=${fullTokenId}=anything`}})
    expect([refused.status, refused.statusMessage]).toEqual([401, `token '${fullTokenId?.split('!')[1]}' access expired`])

    const pruned = await inProcess(home, ['api-tokens', '--prune'])
    expect(pruned.code).toBe(0)
    // This computer's clock has not moved, so by it the token is not expired yet; its run is gone, though.
    expect(pruned.stdout).toMatch(/gone, deleted\n/)
    expect(await pveLoginTokens()).toEqual([])
  })

  test('--privsep without --privsep-acl is a usage error; one the user may not grant says so and leaves no token', async () => {
    const home = await freshHome()
    const bare = await inProcess(home, ['exec', '--api-token', '--privsep', '--', 'true'])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/no rights at all until ACLs are granted/)
    const refused = await inProcess(home, ['exec', '--api-token', '--privsep', '--privsep-acl', '/=PVEAuditor', '--', 'true'])
    expect(refused.code).toBe(5)
    expect(refused.stderr).toMatch(/may not grant the role PVEAuditor on \//)
    expect(refused.stderr).toMatch(/Permissions\.Modify/)
    expect(await pveLoginTokens()).toEqual([])
  })
})

describe('env --api-token, status, logout', () => {
  test('twice gives the same token (one POST at PVE); status shows it without its secret; logout deletes it at PVE', async () => {
    const home = await freshHome()
    // The first through the real executable (env's fast path, without oclif), the second through the command class.
    const first = await cli(home, ['env', '--api-token', '--shell', 'json'])
    expect(first.code).toBe(0)
    const second = await inProcess(home, ['env', '--api-token', '--shell', 'json'])
    const variables = JSON.parse(first.stdout) as Record<string, string>
    expect(JSON.parse(second.stdout)).toEqual(variables)
    expect(Object.keys(variables).sort()).toEqual(['PROXMOX_VE_API_TOKEN', 'PROXMOX_VE_ENDPOINT', 'PVE_LOGIN_EXPIRES_AT', 'PVE_LOGIN_USERNAME'])
    const [fullTokenId = '', secret = ''] = (variables.PROXMOX_VE_API_TOKEN ?? '').split('=')
    expect(first.stderr).toContain(`created API token ${fullTokenId}`)
    const tokenPath = `/api2/json/access/users/alice%40cli/token/${fullTokenId.split('!')[1]}`
    expect(countRequests(await sandbox.requestLog(), 'POST', tokenPath)).toBe(1)

    const status = await inProcess(home, ['status', '--json'])
    expect(JSON.parse(status.stdout)[0].apiToken).toMatchObject({fullTokenId, privsep: false})
    expect(status.stdout).not.toContain(secret)
    expect((await inProcess(home, ['status'])).stdout).toMatch(new RegExp(`API token ${fullTokenId.replace(/[!.]/g, '\\$&')}: expires in 7h`))

    const auth = {headers: {authorization: `PVEAPIToken=${fullTokenId}=${secret}`}}
    expect((await sandbox.pve('/api2/json/version', auth)).status).toBe(200)
    const logout = await inProcess(home, ['logout'])
    expect(logout.code).toBe(0)
    expect(logout.stderr).toContain(`Deleted API token ${fullTokenId}`)
    expect(countRequests(await sandbox.requestLog(), 'DELETE', tokenPath)).toBe(1)
    expect((await sandbox.pve('/api2/json/version', auth)).status).toBe(401)
    expect(await pveLoginTokens()).toEqual([])
  })

  test('logout when PVE cannot be reached: says the token stays valid until its expiry, and forgets the session anyway', async () => {
    const home = await freshHome()
    const variables = JSON.parse((await inProcess(home, ['env', '--api-token', '--shell', 'json'])).stdout) as Record<string, string>
    const [fullTokenId = ''] = (variables.PROXMOX_VE_API_TOKEN ?? '').split('=')
    await sandbox.fault(`/access/users/alice%40cli/token/${fullTokenId.split('!')[1]}`, 'reset')
    const logout = await inProcess(home, ['logout'])
    expect(logout.code).toBe(0)
    expect(logout.stderr).toMatch(new RegExp(`could not delete API token ${fullTokenId.replace(/[!.]/g, '\\$&')} .*stays valid until ${variables.PVE_LOGIN_EXPIRES_AT}`))
    expect(await pveLoginTokens()).toEqual([fullTokenId])
    expect(JSON.parse((await inProcess(home, ['status', '--json'])).stdout)).toEqual([])
  })

  test('with --store none there is nowhere to keep the token, so env --api-token refuses before making one', async () => {
    const home = await freshHome()
    const result = await inProcess(home, ['env', '--api-token', '--store', 'none', '--login'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--store keychain or --store file/)
    expect(await pveLoginTokens()).toEqual([])
  })

  test('--for telmate, packer and ansible carry the token in each tool\'s names, and never a ticket or password', async () => {
    const home = await freshHome()
    const result = await inProcess(home, ['env', '--api-token', '--for', 'telmate,packer,ansible', '--shell', 'json'])
    const variables = JSON.parse(result.stdout) as Record<string, string>
    const [stored] = await sandbox.apiTokens()
    const tokenid = stored?.tokenid ?? ''
    const fullTokenId = `alice@cli!${tokenid}`
    expect(variables).toMatchObject({
      PM_API_TOKEN_ID: fullTokenId,
      PROXMOX_USERNAME: fullTokenId,
      PROXMOX_USER: 'alice@cli',
      PROXMOX_TOKEN_ID: tokenid,
    })
    expect(variables.PM_API_TOKEN_SECRET).toBe(variables.PROXMOX_TOKEN)
    expect(variables.PROXMOX_TOKEN_SECRET).toBe(variables.PROXMOX_TOKEN)
    for (const name of ['PM_PASS', 'PROXMOX_PASSWORD', 'PROXMOX_VE_AUTH_TICKET']) expect(variables).not.toHaveProperty(name)
  })

  const proxmoxerTest = hasProxmoxer() ? test : test.skip
  proxmoxerTest("Debian's python3-proxmoxer lists /version with the token from env --api-token --for proxmoxer", async () => {
    const home = await freshHome()
    const result = await inProcess(home, ['env', '--api-token', '--for', 'proxmoxer', '--shell', 'json'])
    expect(result.code).toBe(0)
    const variables = JSON.parse(result.stdout) as Record<string, string>
    const script = [
      'import json, os',
      'from proxmoxer import ProxmoxAPI',
      "api = ProxmoxAPI(os.environ['PROXMOX_HOST'], port=int(os.environ['PROXMOX_PORT']), user=os.environ['PROXMOX_USER'],",
      "                 token_name=os.environ['PROXMOX_TOKEN_ID'], token_value=os.environ['PROXMOX_TOKEN_SECRET'], verify_ssl=True)",
      'print(json.dumps(api.version.get()))',
    ].join('\n')
    // requests (under proxmoxer) trusts the sandbox's self-signed certificate through REQUESTS_CA_BUNDLE.
    const env = {PATH: '/usr/bin:/bin', REQUESTS_CA_BUNDLE: sandbox.caFile, ...variables}
    const {stdout} = await promisify(execFile)('/usr/bin/python3', ['-c', script], {env})
    expect(JSON.parse(stdout)).toMatchObject({version: '9.1.1', release: '9.1'})
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'GET', '/api2/json/version')).toBe(1)
  })
})
