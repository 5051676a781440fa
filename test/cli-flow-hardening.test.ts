/**
 * Issue 14 points 10, 12 and 13: callback ports that can never work are refused at parse time; `api` paths cannot
 * leave /api2/json; the CSRF token goes only with writes; thousands of silent connections cannot crowd out the real
 * callback; a refused renewal keeps PVE's reason; a 500 from /access/domains comes with a hint.
 */
import {connect, type Socket} from 'node:net'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {parse as parseShellWords, quote} from 'shell-quote'

import {countRequests, forgetClockOffsets, makeTempDir, removeDir, runCli, seedLogin, startCli} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

const SCRIPTED_BROWSER = fileURLToPath(new URL('./fixtures/scripted-browser.mjs', import.meta.url))

let sandbox: SandboxProcess
let loggedIn: string
const homes: string[] = []

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  loggedIn = await makeTempDir()
  await seedLogin(sandbox, loggedIn)
}, 60_000)

afterAll(async () => {
  await sandbox?.stop()
  for (const home of [loggedIn, ...homes]) if (home) await removeDir(home)
})

async function newHome(): Promise<string> {
  const home = await makeTempDir()
  homes.push(home)
  return home
}

function loginArgs(): string[] {
  return ['login', '--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--store', 'file']
}

describe('--port', () => {
  test.each([
    ['80', /port 80 cannot work: browsers leave ":80" out of the Host header/],
    ['6000', /browsers refuse to connect to port 6000/],
    ['8400,6667', /browsers refuse to connect to port 6667/],
    ['10080', /browsers refuse to connect to port 10080/],
  ])('--port %s is refused at parse time (exit 2), before anything is sent', async (ports, reason) => {
    const home = await newHome()
    await sandbox.resetLog()
    const result = await runCli([...loginArgs(), '--port', ports, '--browser-command', sandbox.robotBrowser], {env: {PVE_LOGIN_HOME: home}})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(reason)
    expect(await sandbox.requestLog()).toEqual([])
  })
})

describe('api paths', () => {
  test.each(['../../etc/passwd', '%2e%2e/%2e%2e/etc/passwd', '/api2/json/nodes/.%2E/../../etc/passwd', 'nodes/%2E', '..\\..\\etc\\passwd'])(
    'api %s is refused (exit 2) and nothing reaches the server',
    async (path) => {
      await sandbox.resetLog()
      const result = await runCli(['api', path, '--no-login'], {env: {PVE_LOGIN_HOME: loggedIn}})
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/"\." or "\.\." segment|backslash/)
      expect(await sandbox.requestLog()).toEqual([])
    },
  )

  test('an encoded slash inside a segment (a volume id) is still sent, below /api2/json', async () => {
    await sandbox.resetLog()
    await runCli(['api', '/nodes/pve1/storage/local/content/local:iso%2Fx.iso', '--no-login'], {env: {PVE_LOGIN_HOME: loggedIn}})
    const log = await sandbox.requestLog()
    expect(log).toHaveLength(1)
    expect(log[0]!.path.startsWith('/api2/json/nodes/pve1/storage/local/content/')).toBe(true)
  })
})

describe('the CSRF token', () => {
  test('goes with writes only: not with GET, with POST', async () => {
    await sandbox.resetLog()
    expect((await runCli(['api', '/version', '--no-login'], {env: {PVE_LOGIN_HOME: loggedIn}})).code).toBe(0)
    await runCli(['api', '-X', 'POST', '/version', '--no-login'], {env: {PVE_LOGIN_HOME: loggedIn}})
    const log = await sandbox.requestLog()
    expect(log.map((entry) => [entry.method, entry.path, entry.csrfHeader === true])).toEqual([
      ['GET', '/api2/json/version', false],
      ['POST', '/api2/json/version', true],
    ])
  })
})

describe('the listener under a flood of silent connections', () => {
  test('300 idle connections with 160 file descriptors: the oldest are dropped and the real callback gets through', async () => {
    const home = await newHome()
    const go = join(home, 'go')
    const browser = quote([process.execPath, SCRIPTED_BROWSER, 'await-then-run'])
    const cli = startCli([...loginArgs(), '--timeout', '20', '--browser-command', browser], {
      env: {
        PVE_LOGIN_HOME: home,
        SCRIPTED_BROWSER_REPORT: join(home, 'report.json'),
        SCRIPTED_BROWSER_GO: go,
        SCRIPTED_BROWSER_THEN: JSON.stringify(parseShellWords(sandbox.robotBrowser)),
      },
      // Fewer descriptors than connections: without a cap the listener would run out and refuse the browser.
      prefix: ['prlimit', '--nofile=160:160', '--'],
      killAfterMs: 60_000,
    })
    const [, port] = await cli.waitForStderr(/http:\/\/127\.0\.0\.1:(\d+)\/start\//)
    const sockets: Socket[] = []
    try {
      await Promise.all(
        Array.from(
          {length: 300},
          () =>
            new Promise<void>((resolve) => {
              const socket = connect({host: '127.0.0.1', port: Number(port)})
              sockets.push(socket)
              socket.on('error', () => resolve())
              socket.once('connect', () => resolve())
            }),
        ),
      )
      // Let the browser go on only once all 300 are connected (or were turned away).
      await writeFile(go, 'go')
      const result = await cli.finished
      expect({code: result.code, stderr: result.stderr}).toMatchObject({code: 0, stderr: expect.stringContaining('as alice@cli.')})
      // The listener closed many of the silent ones to make room.
      expect(sockets.filter((socket) => socket.destroyed || socket.readableEnded).length).toBeGreaterThan(100)
    } finally {
      for (const socket of sockets) socket.destroy()
    }
  }, 90_000)
})

describe('messages that keep what PVE said', () => {
  test('after a refused renewal, env exits 3 and names PVE\'s answer', async () => {
    const home = await newHome()
    await sandbox.setClock(-4000)
    await seedLogin(sandbox, home, {user: 'bob'})
    await forgetClockOffsets(home)
    await sandbox.setClock(0)
    await sandbox.setUserEnabled('bob@cli', false)
    try {
      const first = await runCli(['env', '--no-login'], {env: {PVE_LOGIN_HOME: home}})
      expect(first.code).toBe(3)
      expect(first.stderr).toMatch(/PVE refused to renew it \(PVE answered 401: authentication failure\)/)
      // The next process does not ask again for the same ticket, and says the same.
      await sandbox.resetLog()
      const second = await runCli(['env', '--no-login'], {env: {PVE_LOGIN_HOME: home}})
      expect(second.code).toBe(3)
      expect(second.stderr).toMatch(/PVE refused to renew it \(PVE answered 401: authentication failure\)/)
      expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/ticket')).toBe(0)
    } finally {
      await sandbox.setUserEnabled('bob@cli', true)
    }
  }, 60_000)

  test('a 500 from /access/domains at login comes with a hint', async () => {
    const home = await newHome()
    await sandbox.fault('/access/domains', '500', 1)
    const result = await runCli([...loginArgs(), '--browser-command', sandbox.robotBrowser], {env: {PVE_LOGIN_HOME: home}})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/PVE answered 500/)
    expect(result.stderr).toMatch(/hint: PVE could not list its realms/)
  })
})
