/**
 * Issue 14 point 7: text from the server or the IdP (user name, cluster name, PVE's error messages) never reaches
 * the terminal raw. The sandbox serves a user whose name holds ESC[2J, an OSC 0 title, an OSC 52 clipboard write and
 * a bidi override, and a cluster name with the same; no ESC, BEL or bidi control may appear in what pve-login
 * prints in text mode (login summary, status table, logout report, refresh, renewal warnings).
 */
import {beforeAll, describe, expect, test} from '@jest/globals'

import {ESCAPE_USER} from './sandbox/idp-accounts.js'
import {forgetClockOffsets, runCli, seedLogin, useTempHomes, type CliResult} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'

const HOSTILE_CLUSTER = 'lab\x1b[2J\x1b]0;owned\x07\x1b]52;c;cHduZWQ=\x07\u2066'
// eslint-disable-next-line no-control-regex -- the point is to find raw control characters
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/

const sandbox = useSandbox({resetAfterEach: false})
const {newHome} = useTempHomes()

beforeAll(async () => {
  await sandbox.setClusterName(HOSTILE_CLUSTER)
})

function expectClean(result: CliResult): void {
  expect(result.stdout).not.toMatch(RAW)
  expect(result.stderr).not.toMatch(RAW)
}

describe('server-supplied text in text mode', () => {
  test('login, status and logout of a user and cluster named with terminal escapes print them escaped', async () => {
    const home = await newHome()
    const login = await seedLogin(sandbox, home, {user: ESCAPE_USER})
    expectClean(login)
    // It is there, shown harmlessly.
    expect(login.stderr).toContain('as eve\\x1b[2J\\x1b]0;pwned\\x07')
    expect(login.stderr).toContain('(cluster lab\\x1b[2J')
    expect(login.stderr).toContain('\\u{202e}')

    const status = await runCli(['status'], {env: {PVE_LOGIN_HOME: home}})
    expect(status.code).toBe(0)
    expectClean(status)
    expect(status.stdout).toContain('eve\\x1b[2J')

    // The JSON form keeps the text as it came (JSON escapes it itself).
    const json = await runCli(['status', '--json'], {env: {PVE_LOGIN_HOME: home}})
    expect(JSON.parse(json.stdout)[0]).toMatchObject({username: `${ESCAPE_USER}@cli`, clusterName: HOSTILE_CLUSTER})

    const logout = await runCli(['logout'], {env: {PVE_LOGIN_HOME: home}})
    expect(logout.code).toBe(0)
    expectClean(logout)
    expect(logout.stderr).toContain('Removed the session of eve\\x1b[2J')
  }, 60_000)

  test("PVE's message in a renewal warning and in refresh's error is shown escaped", async () => {
    const home = await newHome()
    await sandbox.setClock(-4000)
    await seedLogin(sandbox, home)
    await forgetClockOffsets(home)
    await sandbox.setClock(0)
    const message = 'disk full\x1b[2J\x1b]52;c;cHduZWQ=\x07\u202e'
    await sandbox.fault('/access/ticket', '500', 2, message)
    try {
      const env = await runCli(['env', '--no-login', '--shell', 'sh'], {env: {PVE_LOGIN_HOME: home}})
      expect(env.code).toBe(0)
      expect(env.stderr).not.toMatch(RAW)
      expect(env.stderr).toContain('Renewing the ticket failed (PVE answered 500: disk full\\x1b[2J')

      const refresh = await runCli(['refresh'], {env: {PVE_LOGIN_HOME: home}})
      expect(refresh.code).not.toBe(0)
      expectClean(refresh)
      expect(refresh.stderr).toContain('disk full\\x1b[2J')
    } finally {
      await sandbox.fault('/access/ticket', '500', 0)
    }
  }, 60_000)
})
