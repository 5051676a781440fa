/**
 * `pve-login ticket --format curl|cookie-jar --output FILE`, read by the real curl against the sandbox PVE: the file
 * is private (mode 0600, replaced atomically), and the ticket reaches curl through the file, never an argument.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {makeTempDir, removeDir, runCli, seedLogin, type CliResult} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

const curlPresent = existsSync('/usr/bin/curl')
if (!curlPresent) process.stderr.write('SKIPPING the tests that run curl: /usr/bin/curl is not installed (apt-get install curl)\n')
const describeWithCurl = curlPresent ? describe : describe.skip

let sandbox: SandboxProcess
let home: string

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  home = await makeTempDir()
  await seedLogin(sandbox, home)
})

afterAll(async () => {
  await removeDir(home)
  await sandbox?.stop()
})

function cli(args: readonly string[]): Promise<CliResult> {
  return runCli(args, {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}})
}

/** curl's HTTP status for `path` on the sandbox, trusting its CA; `args` carry the -K or -b file, never the ticket. */
function curlStatus(args: readonly string[], path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const command = ['--silent', '--output', '/dev/null', '--write-out', '%{http_code}', '--cacert', sandbox.caFile, ...args, `${sandbox.pveUrl}${path}`]
    execFile('/usr/bin/curl', command, (error, stdout) => (error ? reject(error) : resolve(Number(stdout))))
  })
}

describeWithCurl('ticket --format curl and cookie-jar, with the real curl', () => {
  test('--format curl --output: a private file; curl -K reads PVE with it, and writes with its CSRF header', async () => {
    const config = join(home, 'out', 'pve.curl')
    const result = await cli(['ticket', '--format', 'curl', '--output', config])
    expect({code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({code: 0, stdout: '', stderr: ''})
    expect((await stat(config)).mode & 0o777).toBe(0o600)
    const {ticket} = JSON.parse((await cli(['ticket', '--json'])).stdout) as {ticket: string}
    expect(await readFile(config, 'utf8')).toContain(`cookie = "PVEAuthCookie=${encodeURIComponent(ticket)}"`)

    expect(await curlStatus([], '/api2/json/nodes')).toBe(401)
    expect(await curlStatus(['-K', config], '/api2/json/nodes')).toBe(200)
    // A write: PVE wants the CSRFPreventionToken header, which the config sends too.
    expect(await curlStatus(['-K', config, '-X', 'POST', '--data', 'newid=321'], '/api2/json/nodes/pve1/qemu/9000/clone')).toBe(200)
  })

  test('--output replaces an existing file atomically and makes it private', async () => {
    const config = join(home, 'existing.curl')
    await writeFile(config, 'old content\n', {mode: 0o644})
    expect((await cli(['ticket', '--format', 'curl', '-o', config])).code).toBe(0)
    expect((await stat(config)).mode & 0o777).toBe(0o600)
    expect(await readFile(config, 'utf8')).toMatch(/^# pve-login: use with curl -K/)
  })

  test('--format cookie-jar: curl -b sends the ticket cookie from the jar', async () => {
    const jar = join(home, 'pve.jar')
    expect((await cli(['ticket', '--format', 'cookie-jar', '--output', jar])).code).toBe(0)
    expect((await stat(jar)).mode & 0o777).toBe(0o600)
    expect(await curlStatus(['-b', jar], '/api2/json/nodes')).toBe(200)
    // The jar holds the cookie only: a write without the CSRF header is refused, as PVE does.
    expect(await curlStatus(['-b', jar, '-X', 'POST', '--data', 'newid=322'], '/api2/json/nodes/pve1/qemu/9000/clone')).toBe(401)
  })

  test('to stdout when there is no --output; --format and --json exclude each other', async () => {
    const result = await cli(['ticket', '--format', 'curl'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^# pve-login: use with curl -K .*\ncookie = "PVEAuthCookie=.*"\nheader = "CSRFPreventionToken: .*"\n$/)
    expect((await cli(['ticket', '--format', 'curl', '--json'])).code).toBe(2)
  })
})
