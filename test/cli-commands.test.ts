import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {beforeAll, describe, expect, test} from '@jest/globals'

import {cleanEnv, countRequests, forgetClockOffsets, loginArgs, runCli, runCliInHome as cli, RUN_JS, startCli, useTempHomes} from './helpers/cli.js'
import {hasSecretService, hasShell} from './helpers/capabilities.js'
import {runInHome as run, seedLoginInProcess} from './helpers/in-process.js'
import {useSandbox} from './helpers/sandbox.js'

/**
 * The script-facing commands (env, exec, ticket, api, status, logout, refresh) against the sandbox: in-process
 * (helpers/in-process.ts) unless only a real process shows it (a shell evaluating env's stdout, exec's child and its
 * signals, Ctrl-C, a plugin command). Each test gets its own PVE_LOGIN_HOME, copied from a home a real login filled.
 */
const sandbox = useSandbox()
const {newHome: emptyHome, homeLike} = useTempHomes()
/** Homes with one session each, made once by a real login; tests work on copies. */
let aliceHome: string
let obrienHome: string

beforeAll(async () => {
  aliceHome = await emptyHome()
  obrienHome = await emptyHome()
  await Promise.all([seedLoginInProcess(sandbox, aliceHome), seedLoginInProcess(sandbox, obrienHome, {user: "o'brien"})])
})

/** `HH:MM` of an ISO time in UTC, and in Asia/Kolkata (UTC+05:30 all year). */
const utcTime = (iso: string): string => new Date(iso).toISOString().slice(11, 16)
const kolkataTime = (iso: string): string => {
  const local = new Date(Date.parse(iso) + 330 * 60_000).toISOString()
  // The date shows only when it is not today there.
  const today = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10)
  return local.slice(0, 10) === today ? local.slice(11, 16) : `${local.slice(0, 10)} ${local.slice(11, 16)}`
}

/** Polls the sandbox's request log (the only place this event is visible) until `method path` has arrived. */
async function waitUntilLogged(method: string, path: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (countRequests(await sandbox.requestLog(), method, path) === 0) {
    if (Date.now() > deadline) throw new Error(`${method} ${path} never reached the sandbox`)
    await delay(50)
  }
}

async function ticketOf(home: string): Promise<{ticket: string; csrfToken: string; username: string; issuedAt: string; expiresAt: string}> {
  const result = await run(home, ['ticket', '--json'])
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

/** GET /version with the ticket as PVE's cookie: the proof that a handed-on ticket really works. */
async function versionWith(ticket: string): Promise<number> {
  return (await sandbox.pve('/api2/json/version', {headers: {cookie: `PVEAuthCookie=${ticket}`}})).status
}

const DEFAULT_NAMES = ['PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN', 'PVE_LOGIN_USERNAME', 'PVE_LOGIN_EXPIRES_AT']

describe('env', () => {
  /** Each shell runs `pve-login env` itself, as a user would, then prints the five variables one per line. */
  const shells: {shell: string; path: string; script: string}[] = [
    {shell: 'sh', path: '/bin/sh', script: `eval "$("$NODE" "$RUN" env --shell sh)" && printf '%s\\n' ${DEFAULT_NAMES.map((n) => `"$${n}"`).join(' ')}`},
    {shell: 'bash', path: '/usr/bin/bash', script: `eval "$("$NODE" "$RUN" env --shell bash)" && printf '%s\\n' ${DEFAULT_NAMES.map((n) => `"$${n}"`).join(' ')}`},
    {shell: 'zsh', path: '/usr/bin/zsh', script: `eval "$("$NODE" "$RUN" env --shell zsh)" && printf '%s\\n' ${DEFAULT_NAMES.map((n) => `"$${n}"`).join(' ')}`},
    {shell: 'fish', path: '/usr/bin/fish', script: `"$NODE" "$RUN" env --shell fish | source; and printf '%s\\n' ${DEFAULT_NAMES.map((n) => `$${n}`).join(' ')}`},
  ]

  // A shell that is not installed skips with the reason on stderr (hasShell says it; in CI it fails instead).
  const evaluates = "$shell evaluates env's output for o'brien, and the ticket it sets works"
  const missingShells = shells.filter(({path}) => !hasShell(path))
  if (missingShells.length > 0) test.skip.each(missingShells)(evaluates, () => {})
  test.each(shells.filter((shell) => !missingShells.includes(shell)))(evaluates, async ({path, script}) => {
    const home = await homeLike(obrienHome)
    const expected = await ticketOf(home)
    const run = spawnSync(path, ['-c', script], {
      encoding: 'utf8',
      env: cleanEnv({PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file', NODE: process.execPath, RUN: RUN_JS}),
      input: '',
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const [endpoint, ticket, csrf, username, expiresAt] = run.stdout.split('\n')
    expect(endpoint).toBe(sandbox.pveUrl)
    expect(username).toBe("o'brien@cli")
    expect(ticket).toBe(expected.ticket)
    expect(csrf).toBe(expected.csrfToken)
    expect(expiresAt).toBe(expected.expiresAt)
    expect(await versionWith(ticket!)).toBe(200)
  })

  test("o'brien survives the formats no shell here evaluates: powershell, cmd, dotenv, json", async () => {
    const home = await homeLike(obrienHome)
    const {ticket} = await ticketOf(home)
    const [powershell, cmd, dotenv, json] = await Promise.all(['powershell', 'cmd', 'dotenv', 'json'].map((shell) => run(home, ['env', '--shell', shell])))
    expect(powershell!.stdout).toContain("$Env:PVE_LOGIN_USERNAME = 'o''brien@cli'\n")
    expect(powershell!.stdout).toContain(`$Env:PROXMOX_VE_AUTH_TICKET = '${ticket.replaceAll("'", "''")}'\n`)
    expect(cmd!.stdout).toContain(`set "PVE_LOGIN_USERNAME=o'brien@cli"\r\n`)
    expect(dotenv!.stdout).toContain(`PVE_LOGIN_USERNAME="o'brien@cli"\n`)
    expect(dotenv!.stdout).toContain(`PROXMOX_VE_AUTH_TICKET="${ticket}"\n`)
    expect(JSON.parse(json!.stdout)).toMatchObject({PVE_LOGIN_USERNAME: "o'brien@cli", PROXMOX_VE_AUTH_TICKET: ticket})
    for (const result of [powershell, cmd, dotenv, json]) {
      expect(result!.code).toBe(0)
      expect(result!.stderr).toBe('')
    }
  })

  const PRESETS: [string[], string[]][] = [
    [[], DEFAULT_NAMES],
    [['--for', 'bpg'], ['PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN']],
    [['--for', 'telmate'], ['PM_API_URL', 'PM_USER', 'PM_PASS']],
    [['--for', 'packer'], ['PROXMOX_URL', 'PROXMOX_USERNAME', 'PROXMOX_PASSWORD']],
    [['--for', 'ansible'], ['PROXMOX_HOST', 'PROXMOX_PORT', 'PROXMOX_USER', 'PROXMOX_PASSWORD']],
    [['--for', 'proxmoxer'], ['PROXMOX_HOST', 'PROXMOX_PORT', 'PROXMOX_USER', 'PROXMOX_PASSWORD']],
    [['--for', 'bpg', '--for', 'telmate', '--insecure'], ['PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN', 'PROXMOX_VE_INSECURE', 'PM_API_URL', 'PM_USER', 'PM_PASS', 'PM_TLS_INSECURE']],
    [['--for', 'ansible,telmate'], ['PROXMOX_HOST', 'PROXMOX_PORT', 'PROXMOX_USER', 'PROXMOX_PASSWORD', 'PM_API_URL', 'PM_USER', 'PM_PASS']],
  ]

  test('--for presets hold exactly the names each consumer reads, with the right values', async () => {
    const home = await homeLike(aliceHome)
    const {ticket, username} = await ticketOf(home)
    const port = new URL(sandbox.pveUrl).port
    const results = await Promise.all(PRESETS.map(([flags]) => run(home, ['env', '--shell', 'json', ...flags])))
    results.forEach((result, index) => {
      const [flags, names] = PRESETS[index]!
      expect({flags, code: result.code}).toEqual({flags, code: 0})
      const variables = JSON.parse(result.stdout) as Record<string, string>
      expect({flags, names: Object.keys(variables)}).toEqual({flags, names})
      for (const name of ['PROXMOX_VE_AUTH_TICKET', 'PM_PASS', 'PROXMOX_PASSWORD']) if (name in variables) expect(variables[name]).toBe(ticket)
      for (const name of ['PM_USER', 'PROXMOX_USER', 'PROXMOX_USERNAME', 'PVE_LOGIN_USERNAME']) if (name in variables) expect(variables[name]).toBe(username)
      if ('PM_API_URL' in variables) expect(variables['PM_API_URL']).toBe(`${sandbox.pveUrl}/api2/json`)
      if ('PROXMOX_PORT' in variables) expect([variables['PROXMOX_HOST'], variables['PROXMOX_PORT']]).toEqual(['127.0.0.1', port])
    })
    // Ticket-as-password consumers get the note about diverging tickets, on stderr only.
    expect(results[2]!.stderr).toMatch(/telmate gets the ticket as a password/)
    expect(results[1]!.stderr).toBe('')
    // --insecure warns, every time.
    expect(results[6]!.stderr).toMatch(/--insecure: the server certificate is not checked/)
  })

  test('an API token in the environment is warned about on stderr; stdout is unchanged', async () => {
    const home = await homeLike(aliceHome)
    const plain = await run(home, ['env', '--shell', 'sh'])
    const withToken = await run(home, ['env', '--shell', 'sh'], {env: {PROXMOX_VE_API_TOKEN: 'root@pam!ci=00000000-0000-0000-0000-000000000000'}})
    expect(withToken.code).toBe(0)
    expect(withToken.stdout).toBe(plain.stdout)
    expect(withToken.stderr).toMatch(/PROXMOX_VE_API_TOKEN is set: The bpg Terraform provider uses an API token in preference to the ticket/)
  })

  test('an unknown --shell or --for is a usage error (exit 2) with nothing on stdout', async () => {
    const home = await homeLike(aliceHome)
    for (const args of [['env', '--shell', 'tcsh'], ['env', '--for', 'terraform'], ['env', '--min-valid', '3h']]) {
      const result = await run(home, args)
      expect({args, code: result.code, stdout: result.stdout}).toEqual({args, code: 2, stdout: ''})
    }
  })
})

describe('ticket', () => {
  test('prints the ticket alone, or the ticketJson object', async () => {
    const home = await homeLike(aliceHome)
    const [plain, json] = await Promise.all([run(home, ['ticket']), run(home, ['ticket', '--json'])])
    expect(plain.code).toBe(0)
    const object = JSON.parse(json.stdout)
    expect(plain.stdout).toBe(`${object.ticket}\n`)
    expect(Object.keys(object)).toEqual(['endpoint', 'username', 'ticket', 'csrfToken', 'clusterName', 'issuedAt', 'expiresAt'])
    expect(object).toMatchObject({endpoint: sandbox.pveUrl, username: 'alice@cli', clusterName: 'sandbox'})
    expect(Date.parse(object.expiresAt) - Date.parse(object.issuedAt)).toBe(7200_000)
    expect(await versionWith(object.ticket)).toBe(200)
  })
})

describe('exec', () => {
  const PROBE = `
    const fs = require('node:fs')
    const names = ['PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN', 'PVE_LOGIN_USERNAME', 'PVE_LOGIN_EXEC', 'PM_PASS']
    const parentArgv = fs.readFileSync('/proc/' + process.ppid + '/cmdline', 'utf8').split('\\0')
    process.stdout.write(JSON.stringify({argv: process.argv, parentArgv, env: Object.fromEntries(names.map((n) => [n, process.env[n]]))}))
    process.exit(7)`

  test('hands the variables to the command through its environment only, and exits with its exit code', async () => {
    const home = await homeLike(aliceHome)
    const {ticket, csrfToken} = await ticketOf(home)
    const result = await cli(home, ['exec', '--', process.execPath, '-e', PROBE, 'a', 'b', 'a'])
    expect(result.code).toBe(7)
    const seen = JSON.parse(result.stdout)
    expect(seen.env).toEqual({PROXMOX_VE_AUTH_TICKET: ticket, PROXMOX_VE_CSRF_PREVENTION_TOKEN: csrfToken, PVE_LOGIN_USERNAME: 'alice@cli', PVE_LOGIN_EXEC: '1'})
    // The command's own arguments arrive untouched, in order; no argv (its own or pve-login's) holds a secret.
    expect(seen.argv.slice(1)).toEqual(['a', 'b', 'a'])
    for (const argv of [seen.argv, seen.parentArgv] as string[][]) {
      expect(argv.join(' ')).not.toContain(ticket)
      expect(argv.join(' ')).not.toContain(csrfToken)
    }
    expect(seen.parentArgv).toContain(RUN_JS)
    expect(result.stderr).toBe('')
  })

  test('--for telmate sets the ticket as PM_PASS', async () => {
    const home = await homeLike(aliceHome)
    const {ticket} = await ticketOf(home)
    const result = await cli(home, ['exec', '--for', 'telmate', '--', process.execPath, '-e', PROBE])
    expect(result.code).toBe(7)
    const {env} = JSON.parse(result.stdout)
    expect(env.PM_PASS).toBe(ticket)
    expect(env.PROXMOX_VE_AUTH_TICKET).toBeUndefined()
  })

  const WAITER = (handler: string) => `${handler}; process.stdout.write('ready\\n'); setInterval(() => {}, 1000)`

  test('SIGTERM to pve-login reaches the command, which decides the exit code', async () => {
    const home = await homeLike(aliceHome)
    const running = startCli(['exec', '--', process.execPath, '-e', WAITER(`process.on('SIGTERM', () => { process.stdout.write('child got SIGTERM\\n'); process.exit(42) })`)], {
      env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'},
    })
    await running.waitForStdout(/ready\n/)
    running.child.kill('SIGTERM')
    const result = await running.finished
    expect(result.stdout).toContain('child got SIGTERM')
    expect(result.code).toBe(42)
  })

  test.each([
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('a command killed by a forwarded %s makes pve-login exit %i', async (signal, code) => {
    const home = await homeLike(aliceHome)
    const running = startCli(['exec', '--', process.execPath, '-e', WAITER('0')], {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}})
    await running.waitForStdout(/ready\n/)
    running.child.kill(signal)
    const result = await running.finished
    expect({code: result.code, signal: result.signal}).toEqual({code, signal: null})
  })

  test('refuses to nest: the inner exec exits 2 with a hint and never runs its command', async () => {
    const home = await homeLike(aliceHome)
    const marker = join(home, 'inner-ran')
    const result = await cli(home, ['exec', '--', process.execPath, RUN_JS, 'exec', '--', process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/pve-login exec is already running around this command/)
    expect(result.stderr).toMatch(/hint: /)
    expect(existsSync(marker)).toBe(false)
  })

  test('a command that does not exist: exit 127 and a clear message', async () => {
    const home = await homeLike(aliceHome)
    const result = await run(home, ['exec', '--', 'pve-login-no-such-command'])
    expect(result.code).toBe(127)
    expect(result.stderr).toMatch(/pve-login-no-such-command: command not found/)
  })

  test('a file that cannot be executed: exit 126 and a hint', async () => {
    const home = await homeLike(aliceHome)
    const script = join(home, 'not-executable.sh')
    await writeFile(script, '#!/bin/sh\nexit 0\n', {mode: 0o644})
    const result = await run(home, ['exec', '--', script])
    expect(result.code).toBe(126)
    expect(result.stderr).toMatch(/not-executable\.sh: cannot be run \(.*EACCES.*\)\n {2}hint: .*chmod \+x/)
  })

  test('no command: usage error', async () => {
    const home = await homeLike(aliceHome)
    const result = await run(home, ['exec', '--for', 'bpg'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/No command to run/)
  })
})

describe('api', () => {
  test('GET with the path spelled three ways prints PVE data as JSON (--raw: one line)', async () => {
    const home = await homeLike(aliceHome)
    const results = await Promise.all([run(home, ['api', '/version']), run(home, ['api', 'version']), run(home, ['api', '/api2/json/version', '--raw'])])
    for (const result of results) expect(result.code).toBe(0)
    const version = {version: '9.1.1', release: '9.1', repoid: '5ccd07d9302562b7'}
    expect(results[0]!.stdout).toBe(`${JSON.stringify(version, null, 2)}\n`)
    expect(results[1]!.stdout).toBe(results[0]!.stdout)
    expect(results[2]!.stdout).toBe(`${JSON.stringify(version)}\n`)
  })

  test('a CSRF-protected POST (clone) with -f fields succeeds; the same call without the CSRF header is refused', async () => {
    const home = await homeLike(aliceHome)
    const {ticket} = await ticketOf(home)
    const refused = await sandbox.pve('/api2/json/nodes/pve1/qemu/9000/clone', {form: {newid: '124'}, headers: {cookie: `PVEAuthCookie=${ticket}`}})
    expect(refused.status).toBe(401)
    await sandbox.resetLog()
    const result = await run(home, ['api', '-X', 'post', '/nodes/pve1/qemu/9000/clone', '-f', 'newid=123', '-f', 'name=web1'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatch(/^UPID:pve1:.*:qmclone:9000:alice@cli:$/)
    const log = await sandbox.requestLog()
    expect(log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual(['POST /api2/json/nodes/pve1/qemu/9000/clone 200'])
    const vms = JSON.parse((await run(home, ['api', 'nodes/pve1/qemu'])).stdout) as {vmid: number; name?: string}[]
    expect(vms).toContainEqual(expect.objectContaining({vmid: 123, name: 'web1'}))
  })

  test("PVE's refusal comes out as a message with the status on stderr, exit 1, nothing on stdout", async () => {
    const home = await homeLike(aliceHome)
    const result = await run(home, ['api', '-X', 'POST', '/nodes/pve1/qemu/9000/clone', '-f', 'newid=abc'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^pve-login: PVE answered 400: .*newid/m)
    expect(result.stderr).toMatch(/hint: PVE refused the parameters; its message names each one\. Pass them as -f KEY=VALUE/)
  })

  test('hints follow the HTTP status: 501 means no such call (not an old PVE), 500 points at the node', async () => {
    const home = await homeLike(aliceHome)
    const bogus = await run(home, ['api', '/bogus'])
    expect({code: bogus.code, stdout: bogus.stdout}).toEqual({code: 1, stdout: ''})
    expect(bogus.stderr).toMatch(/^pve-login: PVE answered 501: /m)
    expect(bogus.stderr).toMatch(/hint: PVE has no GET \/bogus: check the path and the method \(-X GET, POST, PUT or DELETE\)/)
    expect(bogus.stderr).not.toMatch(/OpenID|7\.0/)
    await sandbox.fault('/api2/json/nodes', '500')
    const failed = await run(home, ['api', '/nodes'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/hint: PVE failed to carry out the call; its message says why\. `journalctl -u pvedaemon -u pveproxy`/)
  })

  test('Ctrl-C while PVE does not answer ends the call at once: exit 130, nothing on stdout', async () => {
    const home = await homeLike(aliceHome)
    await sandbox.fault('/api2/json/nodes', 'hang')
    const running = startCli(['api', '/nodes'], {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}})
    await waitUntilLogged('GET', '/api2/json/nodes')
    running.child.kill('SIGINT')
    const result = await running.finished
    expect({code: result.code, stdout: result.stdout}).toEqual({code: 130, stdout: ''})
    expect(result.stderr).toMatch(/^pve-login: Cancelled\./m)
  })

  test('an unknown method is a usage error', async () => {
    const home = await homeLike(aliceHome)
    const result = await run(home, ['api', '-X', 'PATCH', '/version'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/-X PATCH is not a method/)
  })
})

describe('status, logout, refresh', () => {
  test('status and logout across two realms and two users', async () => {
    // alice@cli under the default profile, bob@noauto under profile "other": two server+realm slots.
    const home = await homeLike(aliceHome)
    await seedLoginInProcess(sandbox, home, {user: 'bob', realm: 'noauto', profile: 'other'})

    const table = await run(home, ['status'])
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SERVER\s+REALM\s+USER\s+CLUSTER\s+EXPIRES-IN\s+STORE$/)
    // Time left, then the local time (the run is in UTC): `1h 59m, until 23:04 (+00:00)`.
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/\bcli\s+alice@cli\s+sandbox\s+1h 5\dm, until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(\+00:00\)\s+file$/),
      expect.stringMatching(/\bnoauto\s+bob@noauto\s+sandbox\s+1h 5\dm, until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(\+00:00\)\s+file$/),
    ])
    const json = JSON.parse((await run(home, ['status', '--json'])).stdout) as {username: string; valid: boolean; store: string}[]
    expect(json.map(({username, valid, store}) => ({username, valid, store}))).toEqual([
      {username: 'alice@cli', valid: true, store: 'file'},
      {username: 'bob@noauto', valid: true, store: 'file'},
    ])
    expect(JSON.stringify(json)).not.toMatch(/PVE:/)
    expect((await run(home, ['status', '--profile', 'other'])).code).toBe(0)
    const otherRealm = await run(home, ['status', '--realm', 'ui'])
    expect(otherRealm.code).toBe(3)
    expect(otherRealm.stderr).toMatch(/No valid session for realm ui on /)

    const {expiresAt} = await ticketOf(home)
    // People read local time with its offset, and how long is left; a zone with a half-hour offset shows both.
    const logout = await run(home, ['logout'], {env: {TZ: 'Asia/Kolkata'}})
    expect(logout.code).toBe(0)
    expect(logout.stdout).toBe('')
    expect(logout.stderr).toContain(`Removed the session of alice@cli on ${sandbox.pveUrl} (realm cli); its ticket stays valid until ${kolkataTime(expiresAt)} (+05:30), in 1h 5`)
    expect(logout.stderr).toMatch(/PVE cannot revoke a ticket/)
    const afterOne = await run(home, ['status'])
    expect(afterOne.code).toBe(3)
    expect(afterOne.stdout).toMatch(/bob@noauto/)
    expect(afterOne.stdout).not.toMatch(/alice@cli/)
    expect((await run(home, ['status', '--profile', 'other'])).code).toBe(0)

    const again = await run(home, ['logout'])
    expect(again.stderr).toMatch(/^No stored session for realm cli on /)

    const all = await run(home, ['logout', '--all'])
    expect(all.stderr).toMatch(/Removed the session of bob@noauto/)
    const none = await run(home, ['status'])
    expect({code: none.code, stdout: none.stdout}).toEqual({code: 3, stdout: 'No sessions.\n'})
  })

  test('status with nothing configured lists, and exits 3 only when no session is valid', async () => {
    const empty = await emptyHome()
    const result = await run(empty, ['status', '--json'])
    expect({code: result.code, stdout: result.stdout}).toEqual({code: 3, stdout: '[]\n'})
    expect(result.stderr).toMatch(/No valid session\. Log in with/)
  })

  test('logout tells how to unset variables that env put into this shell', async () => {
    const home = await homeLike(aliceHome)
    const result = await run(home, ['logout'], {env: {PROXMOX_VE_AUTH_TICKET: 'x', PROXMOX_VE_ENDPOINT: 'y', SHELL: '/usr/bin/fish'}})
    expect(result.stderr).toContain('set -q PROXMOX_VE_AUTH_TICKET; and set -e PROXMOX_VE_AUTH_TICKET')
  })

  test('refresh calls /access/ticket once even for a fresh ticket, and prints the new expiry', async () => {
    const home = await emptyHome()
    await sandbox.setClock(-100)
    await seedLoginInProcess(sandbox, home)
    // A login 100 s ago with both clocks agreeing (pve-login would otherwise allow for the sandbox's offset).
    await forgetClockOffsets(home)
    await sandbox.setClock(0)
    const before = await ticketOf(home)
    await sandbox.resetLog()
    const result = await run(home, ['refresh', '--json'])
    expect(result.code).toBe(0)
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'POST', '/api2/json/access/ticket')).toBe(1)
    expect(log).toHaveLength(1)
    const after = await ticketOf(home)
    expect(Date.parse(after.expiresAt) - Date.parse(before.expiresAt)).toBeGreaterThanOrEqual(99_000)
    expect(result.stderr).toMatch(new RegExp(`Renewed the ticket of alice@cli on ${sandbox.pveUrl.replace(/\./g, '\\.')}: valid until (\\d{4}-\\d\\d-\\d\\d )?${utcTime(after.expiresAt)} \\(\\+00:00\\), in 1h 59m\\.`))
    // The JSON keeps ISO 8601 UTC for scripts.
    expect(JSON.parse(result.stdout)).toMatchObject({username: 'alice@cli', expiresAt: after.expiresAt, valid: true})
    expect(await versionWith(after.ticket)).toBe(200)
  })
})

describe('shell completion (@oclif/plugin-autocomplete)', () => {
  const withBash = hasShell('/usr/bin/bash') ? test : test.skip
  withBash('bash completes command names and the flags of env', async () => {
    const home = await emptyHome()
    const cacheDir = join(home, 'cache')
    const refreshed = await cli(home, ['autocomplete', '--refresh-cache'], {env: {PVE_LOGIN_CACHE_DIR: cacheDir}})
    expect(refreshed.code).toBe(0)
    const complete = (words: string[]) =>
      spawnSync('/usr/bin/bash', ['-c', 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pve-login_autocomplete; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', join(cacheDir, 'autocomplete/functions/bash/pve-login.bash'), ...words], {encoding: 'utf8'}).stdout.trim().split('\n')
    expect(complete(['pve-login', 'e'])).toEqual(['env', 'exec'])
    expect(complete(['pve-login', 'env', '--sh'])).toEqual(['--shell'])
    expect(complete(['pve-login', 'exec', '--f'])).toEqual(['--fingerprint', '--for'])
  })
})

describe('keychain store', () => {
  const withSecretService = hasSecretService() ? test : test.skip
  withSecretService('login, status, env and logout with the OS keychain; the item is where docs/storage.md says', async () => {
    const home = await emptyHome()
    const keychain = (args: string[]) => runCli(args, {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'keychain'}})
    const login = await keychain(['login', ...loginArgs(sandbox, {store: 'keychain'})])
    expect(login.code).toBe(0)
    const account = `alice@cli@127.0.0.1:${new URL(sandbox.pveUrl).port}`
    const lookup = () => spawnSync('secret-tool', ['lookup', 'service', 'pve-login', 'username', account], {encoding: 'utf8'})
    try {
      const status = JSON.parse((await keychain(['status', '--json'])).stdout) as {username: string; store: string}[]
      expect(status.map(({username, store}) => ({username, store}))).toEqual([{username: 'alice@cli', store: 'keychain'}])
      const ticket = (await keychain(['ticket'])).stdout.trim()
      expect(JSON.parse(lookup().stdout)).toMatchObject({server: sandbox.pveUrl, realm: 'cli', username: 'alice@cli', ticket})
      expect(existsSync(join(home, 'sessions'))).toBe(false)
      expect((await keychain(['env', '--shell', 'json'])).code).toBe(0)
    } finally {
      const logout = await keychain(['logout'])
      expect(logout.stderr).toMatch(/Removed the session of alice@cli/)
    }
    expect(lookup().stdout).toBe('')
  })
})
