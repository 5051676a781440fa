/**
 * What only happens for a person at a terminal, on a real pty (util-linux script; the built CLI, so `npm run build`
 * first): the first run picks its realm from the server's OpenID realms, and after PVE's 401 pve-login offers to
 * run doctor. Without a terminal (in-process, helpers/in-process.ts) the first run exits 2 with the realms listed.
 */
import {afterAll, beforeAll, beforeEach, describe, expect, test} from '@jest/globals'

import {makeTempDir, removeDir} from './helpers/cli.js'
import {runInProcess, seedLoginInProcess} from './helpers/in-process.js'
import {hasScript, startCliOnPty} from './helpers/pty.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

let sandbox: SandboxProcess
let scratch: string
let homes = 0
const withPty = hasScript() ? test : test.skip

beforeAll(async () => {
  ;[sandbox, scratch] = await Promise.all([startSandboxProcess(), makeTempDir('pve-login-first-run-')])
})

afterAll(async () => {
  await sandbox?.stop()
  if (scratch) await removeDir(scratch)
})

beforeEach(async () => {
  await sandbox.reset()
})

const home = () => `${scratch}/home-${++homes}`

/** Server, pin, file store and the robot browser; no realm. */
function firstRun(): string[] {
  return ['--server', sandbox.pveUrl, '--fingerprint', sandbox.fingerprint, '--store', 'file', '--browser-command', sandbox.robotBrowser]
}

describe('first run without --realm', () => {
  test('no terminal: exit 2, and the error lists the OpenID realms with their comments (--json: openidRealms)', async () => {
    await sandbox.setRealms(['pam', 'cli', 'noauto'], 'noauto')
    const text = await runInProcess(firstRun(), {env: {PVE_LOGIN_HOME: home()}})
    expect(text.code).toBe(2)
    expect(text.stderr).toMatch(/No realm given, and none is remembered for this profile\. OpenID realms on https:\/\/127\.0\.0\.1:\d+: noauto \(Sandbox IdP.*?\) \[default\], cli \(Sandbox IdP/)
    expect(text.stderr).toContain('hint: Pass one with --realm NAME')
    const json = await runInProcess([...firstRun(), '--json'], {env: {PVE_LOGIN_HOME: home()}})
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: 'REALM_INVALID', openidRealms: ['noauto', 'cli']}})
  })

  test('one OpenID realm only: it is used, and said so', async () => {
    await sandbox.setRealms(['pam', 'cli'])
    const result = await runInProcess(firstRun(), {env: {PVE_LOGIN_HOME: home(), ROBOT_USER: 'alice'}})
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/Using realm cli, the only OpenID realm on https:\/\/127\.0\.0\.1:\d+\./)
  })

  withPty('at a terminal: the realms are listed, the default first, and the one picked is logged in through and remembered', async () => {
    await sandbox.setRealms(['pam', 'cli', 'noauto'], 'noauto')
    const dir = home()
    const cli = startCliOnPty(firstRun(), {env: {PVE_LOGIN_HOME: dir, ROBOT_USER: 'alice'}})
    await cli.waitFor(/Realm \[1-2, Enter for noauto\]: /)
    expect(cli.output()).toMatch(/OpenID realms on https:\/\/127\.0\.0\.1:\d+:\n {3}1\) noauto \(Sandbox IdP[^\n]*\[default\]\n {3}2\) cli \(Sandbox IdP/)
    cli.typeLine('2')
    const {code, output} = await cli.finished
    expect(output).toMatch(/alice@cli/)
    expect(code).toBe(0)
    // Remembered: the next run needs no realm and no terminal.
    const again = await runInProcess(['status', '--json'], {env: {PVE_LOGIN_HOME: dir}})
    expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({realm: 'cli', username: 'alice@cli'})])
  })
})

describe('after PVE refused the login', () => {
  withPty('at a terminal pve-login offers doctor; on y it finds the client-key and prints the pveum commands; exit stays 5', async () => {
    const dir = home()
    // A session of this server, so doctor may read realm misconf's settings.
    await seedLoginInProcess(sandbox, dir)
    const cli = startCliOnPty(['--server', sandbox.pveUrl, '--realm', 'misconf', '--fingerprint', sandbox.fingerprint, '--store', 'file', '--browser-command', sandbox.robotBrowser], {env: {PVE_LOGIN_HOME: dir}})
    await cli.waitFor(/Run pve-login doctor --server \S+ --realm misconf now to find out why\? \[y\/N\] /)
    expect(cli.output()).toMatch(/hint: Run pve-login doctor --server \S+ --realm misconf first/)
    cli.typeLine('y')
    const {code, output} = await cli.finished
    expect(output).toMatch(/^FAIL +client-type +The IdP treats pve-cli as a public client .*but realm misconf has a client-key/m)
    expect(output).toContain('pveum realm modify misconf --delete client-key')
    expect(output).toContain('pveum realm add misconf-cli --type openid')
    expect(code).toBe(5)
  })

  withPty('answering no (Enter) runs nothing', async () => {
    const cli = startCliOnPty(['--server', sandbox.pveUrl, '--realm', 'misconf', '--fingerprint', sandbox.fingerprint, '--store', 'file', '--browser-command', sandbox.robotBrowser], {env: {PVE_LOGIN_HOME: home()}})
    await cli.waitFor(/\[y\/N\] /)
    cli.typeLine('')
    const {code, output} = await cli.finished
    expect(output).not.toMatch(/client-type/)
    expect(code).toBe(5)
  })
})
