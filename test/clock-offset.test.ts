/**
 * Issue 14 point 6: expiry is judged by the server's clock. pve-login measures the offset between the server's
 * clock and this machine's at login and renewal and keeps it with the session, so a server hours behind or ahead
 * neither breaks every command, nor renews on every call, nor has `env` hand out tickets PVE already rejects.
 * Plus `--max-session`: no silent renewal once the browser login is older than that.
 */
import {describe, expect, test} from '@jest/globals'

import {LoginRequiredError} from '../src/errors.js'
import {getSession, login} from '../src/session/get-session.js'
import {countRequests, editStoredSessions, forgetClockOffsets, runCli, seedLogin, useTempHomes} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'

const TICKET_PATH = '/api2/json/access/ticket'

const sandbox = useSandbox()
const {newHome, homeLike} = useTempHomes()

/** Logs in (through the CLI, robot browser) while the sandbox PVE's clock is `offsetSeconds` off this machine's. */
async function loginWithServerClock(offsetSeconds: number): Promise<{home: string; stderr: string}> {
  const home = await newHome()
  await sandbox.setClock(offsetSeconds)
  const result = await seedLogin(sandbox, home)
  await sandbox.resetLog()
  return {home, stderr: result.stderr}
}

function env(home: string, extra: string[] = [], variables: Record<string, string> = {}) {
  return runCli(['env', '--no-login', '--shell', 'json', ...extra], {env: {PVE_LOGIN_HOME: home, ...variables}})
}

describe('a server clock that disagrees with this machine', () => {
  test('2 h behind: login says the ticket is valid for 2 h, warns once about the clocks, and later commands use the ticket', async () => {
    const {home, stderr} = await loginWithServerClock(-7200)

    expect(stderr).toMatch(/server's clock is 2\.0 hours behind/)
    expect(stderr).toMatch(/in (1h 59m|2h)\b/)
    const result = await env(home)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toHaveProperty('PROXMOX_VE_AUTH_TICKET')
    // The cached ticket answered: nothing was renewed, and PVE takes the ticket.
    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(0)
    const api = await runCli(['api', '/version', '--no-login'], {env: {PVE_LOGIN_HOME: home}})
    expect(api.code).toBe(0)
    // Warned once at login; commands that use the cached ticket stay quiet.
    expect(result.stderr).not.toMatch(/clock/)
  }, 60_000)

  test('67 min behind: env calls do not renew each time (the ticket is new by the server\'s clock)', async () => {
    const {home} = await loginWithServerClock(-67 * 60)

    for (let call = 0; call < 3; call++) expect((await env(home)).code).toBe(0)

    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(0)
  }, 60_000)

  test('65 min ahead: the expiry env exports is 2 h from now by this machine\'s clock, not 3 h 5 min', async () => {
    const {home} = await loginWithServerClock(65 * 60)

    const result = await env(home)

    expect(result.code).toBe(0)
    const expiresAt = Date.parse(JSON.parse(result.stdout).PVE_LOGIN_EXPIRES_AT)
    // Both clocks are read in whole seconds: the expiry is exact to about a second.
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(7200_000 + 2000)
    expect(expiresAt - Date.now()).toBeGreaterThan(7200_000 - 300_000)
    const status = JSON.parse((await runCli(['status', '--json'], {env: {PVE_LOGIN_HOME: home}})).stdout) as {secondsLeft: number}[]
    expect(status[0]!.secondsLeft).toBeLessThanOrEqual(7200 + 2)
  }, 60_000)

  test('65 min ahead, 2 h 30 min later on both clocks: getSession does not hand out the ticket PVE now rejects', async () => {
    const home = await newHome()
    const options = {
      server: sandbox.pveUrl,
      realm: 'cli',
      store: 'file',
      tls: {fingerprint: sandbox.fingerprint},
      browserCommand: sandbox.robotBrowser,
      env: {...process.env, PVE_LOGIN_HOME: home, PVE_LOGIN_SERVER: undefined, PVE_LOGIN_REALM: undefined},
    }
    await sandbox.setClock(65 * 60)
    const first = await login(options)
    await first.close()
    expect(first.record.clockOffsetSeconds).toBeGreaterThan(64 * 60)

    // Two and a half hours pass on both clocks: by PVE's the ticket is 2 h 30 min old and refused.
    const later = 150 * 60
    await sandbox.setClock(65 * 60 + later)
    const now = () => new Date(Date.now() + later * 1000)
    const pveSays = await sandbox.pve('/api2/json/version', {headers: {cookie: `PVEAuthCookie=${first.ticket}`}})
    expect(pveSays.status).toBe(401)

    await expect(getSession({...options, now, interactive: false, minValidSeconds: 60})).rejects.toBeInstanceOf(LoginRequiredError)
  }, 60_000)
})

describe('--max-session', () => {
  /** A session whose ticket has 53 minutes left (renewal due for env) and whose browser login was 3 h ago. */
  async function oldLoginHome(): Promise<string> {
    const home = await newHome()
    await sandbox.setClock(-4000)
    await seedLogin(sandbox, home)
    await forgetClockOffsets(home)
    await editStoredSessions(home, (record) => {
      record.loginAt = new Date(Date.now() - 3 * 3600_000).toISOString()
    })
    await sandbox.setClock(0)
    await sandbox.resetLog()
    return home
  }

  test('a browser login older than --max-session (or PVE_LOGIN_MAX_SESSION) is not renewed silently: exit 3, PVE not asked', async () => {
    const home = await oldLoginHome()

    const flag = await env(home, ['--max-session', '2h'])
    const variable = await env(home, [], {PVE_LOGIN_MAX_SESSION: '2h'})

    for (const result of [flag, variable]) {
      expect(result.code).toBe(3)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/more than 2h ago \(the maximum session age\)/)
    }
    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(0)
  }, 60_000)

  test('within --max-session the renewal goes on as usual', async () => {
    const home = await homeLike(await oldLoginHome())

    const result = await env(home, ['--max-session', '4h'])

    expect(result.code).toBe(0)
    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(1)
  }, 60_000)

  test('an invalid --max-session is a usage error', async () => {
    const home = await newHome()
    const result = await env(home, ['--max-session', 'soon'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/max-session/)
  })
})
