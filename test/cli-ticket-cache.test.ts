import {spawnSync} from 'node:child_process'
import {chmod, readdir, readFile, writeFile} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, test} from '@jest/globals'

import {cleanEnv, countRequests, forgetClockOffsets, loginArgs, runCli, runCliInHome as cli, useTempHomes} from './helpers/cli.js'
import {runInHome as run, seedLoginInProcess} from './helpers/in-process.js'
import {useSandbox, type RequestLogEntry} from './helpers/sandbox.js'

/**
 * The ticket cache as scripts meet it through the CLI (in-process, except where several processes or a killed one
 * are the point, and for stdout purity): silent renewal, single-flight across processes (one renewal
 * for twenty callers, one browser for ten), no browser for a background job, recovery from a killed lock holder,
 * and damaged entries. The sandbox's clock offset makes a ticket look old without waiting for it to age.
 */
const sandbox = useSandbox()
const {newHome} = useTempHomes()

/** A home whose session PVE issued `ageSeconds` ago; the sandbox clock is back to real time and its log empty. */
async function homeWithTicketAged(ageSeconds: number): Promise<string> {
  const home = await newHome()
  await sandbox.setClock(-ageSeconds)
  await seedLoginInProcess(sandbox, home)
  await forgetClockOffsets(home)
  await sandbox.setClock(0)
  await sandbox.resetLog()
  return home
}

async function storedSession(home: string): Promise<{ticket: string; issuedAt: string}> {
  const directory = join(home, 'sessions')
  const [file] = (await readdir(directory)).filter((name) => name.endsWith('.json'))
  return JSON.parse(await readFile(join(directory, file!), 'utf8'))
}

async function versionWith(ticket: string): Promise<number> {
  return (await sandbox.pve('/api2/json/version', {headers: {cookie: `PVEAuthCookie=${ticket}`}})).status
}

const calls = (log: readonly RequestLogEntry[]) => log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)

/** Every line of `env --shell sh` output is one export: nothing else may reach stdout. */
function expectOnlyExports(stdout: string): void {
  expect(stdout.endsWith('\n')).toBe(true)
  for (const line of stdout.slice(0, -1).split('\n')) expect(line).toMatch(/^export [A-Z_]+='[^']*'$/)
}

describe('renewal', () => {
  test('a ticket older than --min-valid allows is renewed by env once, silently, and then served from the cache', async () => {
    const home = await homeWithTicketAged(5000)
    const old = await storedSession(home)
    const first = await run(home, ['env', '--shell', 'json'])
    expect(first.code).toBe(0)
    expect(first.stderr).toBe('')
    const variables = JSON.parse(first.stdout) as Record<string, string>
    expect(variables['PROXMOX_VE_AUTH_TICKET']).not.toBe(old.ticket)
    expect(variables['PROXMOX_VE_AUTH_TICKET']).toBe((await storedSession(home)).ticket)
    expect(calls(await sandbox.requestLog())).toEqual(['POST /api2/json/access/ticket 200'])

    const second = await run(home, ['env', '--shell', 'json'])
    expect(second.stdout).toBe(first.stdout)
    expect(await sandbox.requestLog()).toHaveLength(1)
    expect(await versionWith(variables['PROXMOX_VE_AUTH_TICKET']!)).toBe(200)
  })

  test('--min-valid decides: 30m keeps a ticket with 35 minutes left, 40m renews it', async () => {
    const home = await homeWithTicketAged(7200 - 60 - 35 * 60)
    expect((await run(home, ['ticket', '--min-valid', '30m'])).code).toBe(0)
    expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/ticket')).toBe(0)
    expect((await run(home, ['ticket', '--min-valid', '40m'])).code).toBe(0)
    expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/ticket')).toBe(1)
  })

  test('20 concurrent env callers that all need a renewal cause exactly one', async () => {
    const home = await homeWithTicketAged(5000)
    const results = await Promise.all(Array.from({length: 20}, () => cli(home, ['env', '--shell', 'json'])))
    expect(results.map((result) => result.code)).toEqual(Array(20).fill(0))
    const tickets = new Set(results.map((result) => (JSON.parse(result.stdout) as Record<string, string>)['PROXMOX_VE_AUTH_TICKET']))
    expect(tickets.size).toBe(1)
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'POST', '/api2/json/access/ticket')).toBe(1)
    expect(countRequests(log, 'POST', '/api2/json/access/openid/auth-url')).toBe(0)
  })
})

describe('login', () => {
  test('10 concurrent callers with an empty store cause exactly one browser login', async () => {
    const home = await newHome()
    const args = ['env', '--shell', 'json', '--login', ...loginArgs(sandbox)]
    const results = await Promise.all(Array.from({length: 10}, () => cli(home, args)))
    expect(results.map((result) => result.code)).toEqual(Array(10).fill(0))
    const tickets = new Set(results.map((result) => (JSON.parse(result.stdout) as Record<string, string>)['PROXMOX_VE_AUTH_TICKET']))
    expect(tickets.size).toBe(1)
    const log = await sandbox.requestLog()
    expect(countRequests(log, 'POST', '/api2/json/access/openid/auth-url')).toBe(1)
    expect(countRequests(log, 'POST', '/api2/json/access/openid/login')).toBe(1)
    expect(results.filter((result) => /Another pve-login is logging in or renewing this session; waiting for it/.test(result.stderr)).length).toBeGreaterThan(0)
  })

  test('an expired ticket in a non-interactive run: exit 3 at once with a hint, and the browser command never runs', async () => {
    const home = await homeWithTicketAged(7200)
    const marker = join(home, 'browser-ran')
    const browser = join(home, 'browser.sh')
    await writeFile(browser, `#!/bin/sh\ntouch '${marker}'\n`)
    await chmod(browser, 0o755)

    const viaFlag = await run(home, ['env', '--browser-command', browser])
    const viaEnv = await run(home, ['ticket'], {env: {BROWSER: browser}})
    for (const result of [viaFlag, viaEnv]) {
      expect(result.code).toBe(3)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^pve-login: No valid PVE ticket for realm cli on https:\/\/127\.0\.0\.1:\d+, and an interactive login is not allowed here\.\n {2}hint: Run: pve-login --server \S+ --realm cli\n$/)
      expect(result.ms).toBeLessThan(5000)
    }
    expect(existsSync(marker)).toBe(false)
    // An expired ticket is not even offered to PVE for renewal, and no login starts.
    expect(await sandbox.requestLog()).toEqual([])

    // The same with --login: now the browser may open (the robot's, here), and it does.
    const login = await run(home, ['ticket', '--login', '--browser-command', sandbox.robotBrowser])
    expect(login.code).toBe(0)
    expect(login.stderr).toMatch(/Logged in to .* as alice@cli\./)
    expect(await versionWith(login.stdout.trim())).toBe(200)
  })
})

describe('a person at the terminal', () => {
  test('stdin and stderr are terminals: an empty store means a browser login without --login; otherwise exit 3', async () => {
    const home = await newHome()
    const args = ['ticket', ...loginArgs(sandbox)]
    const background = await run(home, args)
    expect({code: background.code, stdout: background.stdout}).toEqual({code: 3, stdout: ''})
    const atTerminal = await run(home, args, {terminal: {stdin: true, stderr: true}})
    expect(atTerminal.code).toBe(0)
    expect(atTerminal.stderr).toMatch(/Logged in to .* as alice@cli\./)
    expect(await versionWith(atTerminal.stdout.trim())).toBe(200)
  })
})

describe('failures', () => {
  // A lock left by a process killed with -9 is taken over once stale: test/library-session.test.ts, with lockStaleMs.
  test('a corrupt store entry: a clear message on stderr, exit 3 without a terminal, and the next login replaces it', async () => {
    const home = await homeWithTicketAged(0)
    const [file] = (await readdir(join(home, 'sessions'))).filter((name) => name.endsWith('.json'))
    await writeFile(join(home, 'sessions', file!), '{"server": "https://truncated')

    const env = await run(home, ['env'])
    expect(env.code).toBe(3)
    expect(env.stdout).toBe('')
    expect(env.stderr).toMatch(/warning: Ignoring the unreadable stored session "alice@cli@127\.0\.0\.1:\d+" in \S+sessions; the next login replaces it\./)
    const status = await run(home, ['status'])
    expect(status.code).toBe(3)
    expect(status.stderr).toMatch(/The stored entry "alice@cli@127\.0\.0\.1:\d+" in \S+ is not a readable session/)

    await seedLoginInProcess(sandbox, home)
    const after = await run(home, ['env', '--shell', 'sh'])
    expect({code: after.code, stderr: after.stderr}).toEqual({code: 0, stderr: ''})
    expect((await storedSession(home)).ticket).toMatch(/^PVE:alice@cli:/)
  })
})

describe('stdout carries only the payload', () => {
  test('while a failed renewal is reported, env still prints only the exports (with the still-valid ticket)', async () => {
    const home = await homeWithTicketAged(5000)
    const old = await storedSession(home)
    await sandbox.fault('/api2/json/access/ticket', '502')
    const result = await cli(home, ['env', '--shell', 'sh'])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/warning: Renewing the ticket failed \(.*\); using the cached ticket, valid for \d+ more minutes\./)
    expectOnlyExports(result.stdout)
    const shell = spawnSync('/bin/sh', ['-c', 'eval "$(cat)" && printf %s "$PROXMOX_VE_AUTH_TICKET"'], {input: result.stdout, encoding: 'utf8', env: cleanEnv()})
    expect(shell.stdout).toBe(old.ticket)
  })

  test('while "no keychain here" is decided and the ticket is renewed at the same time', async () => {
    const home = await homeWithTicketAged(5000)
    // No usable D-Bus: the default store finds the session in the file store, and the renewal's save decides
    // (once, said once) that tickets stay there.
    const result = await runCli(['env', '--shell', 'sh'], {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: undefined, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus'}})
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`pve-login: No OS keychain here (no Secret Service on the session bus); tickets are kept in ${join(home, 'sessions')}, mode 0600.\n`)
    expectOnlyExports(result.stdout)
    expect(result.stdout).toContain(`export PROXMOX_VE_AUTH_TICKET='${(await storedSession(home)).ticket}'`)
    expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/ticket')).toBe(1)
  })

})
