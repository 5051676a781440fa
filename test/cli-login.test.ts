/**
 * `pve-login [login]` end to end against the sandbox (a PVE-compatible server and a real OpenID provider), with the
 * robot browser or a scripted one as --browser-command: in-process (helpers/in-process.ts), except where a person
 * talks to a running process (pasting on stdin, Ctrl-C, a timeout with a browser left running), which use the built
 * CLI as a real process (`npm run build` first).
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import {connect, createServer, type AddressInfo} from 'node:net'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {parse as parseShellWords, quote} from 'shell-quote'

import {countRequests, fileAppears, makeTempDir, removeDir, startCli, type CliResult} from './helpers/cli.js'
import {runInProcess} from './helpers/in-process.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'
import {signInAtIdp} from './sandbox/idp-sign-in.js'

const SCRIPTED_BROWSER = fileURLToPath(new URL('./fixtures/scripted-browser.mjs', import.meta.url))
const OPENID_REALMS = 'cli, misconf, ui, noauto, broken, secret, secret-nokey, keycloak, es256, plainpkce'

let sandbox: SandboxProcess
let scratch: string

beforeAll(async () => {
  ;[sandbox, scratch] = await Promise.all([startSandboxProcess(), makeTempDir('pve-login-cli-login-')])
})

afterAll(async () => {
  await sandbox?.stop()
  if (scratch) await removeDir(scratch)
})

interface LoginCase {
  /** PVE_LOGIN_HOME: empty, made by the CLI itself. */
  home: string
  /** Where the scripted browser writes what it saw; absent means it never ran. */
  browserReport: string
  env: Record<string, string>
}

let caseNumber = 0
/**
 * A fresh PVE_LOGIN_HOME and browser report path, so every run starts without remembered state; the sandbox's
 * request and IdP logs are cleared too (tests run one at a time).
 */
async function freshCase(extraEnv: Record<string, string> = {}): Promise<LoginCase> {
  const dir = join(scratch, `case-${++caseNumber}`)
  await Promise.all([mkdir(dir), sandbox.resetLog()])
  const home = join(dir, 'home')
  const browserReport = join(dir, 'browser-report.json')
  return {home, browserReport, env: {PVE_LOGIN_HOME: home, SCRIPTED_BROWSER_REPORT: browserReport, ...extraEnv}}
}

/** `--server … --realm … --fingerprint … --store file`: the sandbox, pinned, with the file store. */
function connection(realm = 'cli'): string[] {
  return ['--server', sandbox.pveUrl, '--realm', realm, '--fingerprint', sandbox.fingerprint, '--store', 'file']
}

function scriptedBrowser(mode: 'record' | 'linger' | 'record-then-run' | 'probe-then-run' | 'forge-idp-error'): string[] {
  return ['--browser-command', quote([process.execPath, SCRIPTED_BROWSER, mode])]
}

function robotBrowser(): string[] {
  return ['--browser-command', sandbox.robotBrowser]
}

interface BrowserReport {
  url: string
  pid: number
  statuses?: Record<string, number>
  page?: {status: number; headers: Record<string, string>; body: string}
  /** What a second request to the listener met after the IdP error was delivered. */
  again?: string
}

/** Runs the robot after the scripted browser's own step. */
const THEN_ROBOT = (): Record<string, string> => ({SCRIPTED_BROWSER_THEN: JSON.stringify(parseShellWords(sandbox.robotBrowser))})

async function readBrowserReport(path: string): Promise<BrowserReport> {
  return JSON.parse(await readFile(path, 'utf8')) as BrowserReport
}

function redirectPort(idpUrl: string): number {
  return Number(new URL(new URL(idpUrl).searchParams.get('redirect_uri')!).port)
}

/** Whether the promise settles within ms (its timer cleared either way, so jest is not kept waiting). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))
  return Promise.race([promise.then(() => true), deadline]).finally(() => clearTimeout(timer))
}

/** A port on 127.0.0.1 that this test holds until release(). */
async function holdPort(): Promise<{port: number; release(): Promise<void>}> {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen({host: '127.0.0.1', port: 0}, resolve))
  return {port: (holder.address() as AddressInfo).port, release: () => new Promise((resolve) => holder.close(() => resolve()))}
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** The outcome as one object, so a failing expectation shows the CLI's own words next to the exit code. */
function summary(outcome: CliResult): {code: number | null; stdout: string; stderr: string} {
  return {code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr}
}

/**
 * The browser cannot have been opened: PVE was never asked for the login URL that a browser command is given, and
 * the scripted browser left no report. (The report alone could still be on its way: pve-login does not wait.)
 */
async function expectNoBrowserOpened(login: LoginCase): Promise<void> {
  const authUrlCalls = (await sandbox.requestLog()).filter((entry) => entry.path === '/api2/json/access/openid/auth-url').length
  expect({authUrlCalls, browserReport: existsSync(login.browserReport)}).toEqual({authUrlCalls: 0, browserReport: false})
}

function countLogins(log: readonly {method: string; path: string}[]): number {
  return countRequests(log, 'POST', '/api2/json/access/openid/login')
}

describe('a successful login', () => {
  test('signs in through the browser: a summary on stderr, nothing on stdout; later runs reuse the remembered profile', async () => {
    const login = await freshCase()

    // A bare flag list means `login` (bin/run.cjs).
    const first = await runInProcess([...connection(), ...robotBrowser()], {env: login.env})
    expect(summary(first)).toMatchObject({code: 0, stdout: ''})
    expect(first.stderr).toContain(`Logged in to ${sandbox.pveUrl} (cluster sandbox) as alice@cli.`)
    expect(first.stderr).toMatch(/stored in the file store/)
    // Local time with its offset and how long is left, for a person; no ISO timestamp (that is --json's).
    expect(first.stderr).toMatch(/The ticket is valid until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(\+00:00\), in 1h 59m, and stored in the file store;/)
    expect(first.stderr).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/)
    expect(first.stderr).not.toMatch(/PVE:alice@cli:/)

    // No --server, --realm or --fingerprint: all three come from the profile (the certificate is self-signed, so
    // without the remembered pin this would be exit 4).
    const second = await runInProcess(['login', '--json', '--store', 'file', ...robotBrowser()], {env: login.env})
    expect(summary(second)).toMatchObject({code: 0})
    expect(second.stdout.trimEnd().split('\n')).toHaveLength(1)
    const result = JSON.parse(second.stdout) as Record<string, unknown>
    expect(result).toMatchObject({server: sandbox.pveUrl, realm: 'cli', username: 'alice@cli', clusterName: 'sandbox', store: 'file'})
    expect(Date.parse(result['expiresAt'] as string) - Date.parse(result['issuedAt'] as string)).toBe(2 * 3600 * 1000)
    expect(result).not.toHaveProperty('ticket')
    expect(result).not.toHaveProperty('csrfToken')
    expect(second.stdout).not.toMatch(/PVE:/)

    const withTicket = await runInProcess(['login', '--json', '--include-ticket', '--store', 'file', ...robotBrowser()], {env: login.env})
    expect(summary(withTicket)).toMatchObject({code: 0})
    expect(JSON.parse(withTicket.stdout)).toMatchObject({ticket: expect.stringMatching(/^PVE:alice@cli:/), csrfToken: expect.any(String)})

    // Each run is a real browser login, whatever was cached.
    expect(countLogins(await sandbox.requestLog())).toBe(3)
  })
})

describe('where the settings come from', () => {
  test('environment only: PVE_LOGIN_SERVER (host:port, https assumed), _REALM, _FINGERPRINT, _STORE and BROWSER', async () => {
    const login = await freshCase()
    const outcome = await runInProcess([], {
      env: {
        ...login.env,
        PVE_LOGIN_SERVER: new URL(sandbox.pveUrl).host,
        PVE_LOGIN_REALM: 'cli',
        PVE_LOGIN_FINGERPRINT: sandbox.fingerprint,
        PVE_LOGIN_STORE: 'file',
        BROWSER: sandbox.robotBrowser,
      },
    })
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    expect(outcome.stderr).toContain(`Logged in to ${sandbox.pveUrl} (cluster sandbox) as alice@cli.`)
    expect(outcome.stderr).toMatch(/stored in the file store/)
  })

  test('BROWSER is a list like PATH: a command that cannot start is skipped for the next one', async () => {
    const login = await freshCase({BROWSER: `/nonexistent/browser:${sandbox.robotBrowser}`})
    const outcome = await runInProcess(connection(), {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    expect(outcome.stderr).toContain('Opened your browser to sign in.')
    expect(outcome.stderr).toContain('as alice@cli.')
  })

  test('--profile keeps its own server, realm and pin; the default profile stays empty', async () => {
    const login = await freshCase({ROBOT_USER: 'bob'})
    const first = await runInProcess(['login', ...connection(), '--profile', 'lab', ...robotBrowser()], {env: login.env})
    expect(summary(first)).toMatchObject({code: 0})
    const again = await runInProcess(['login', '--profile', 'lab', '--store', 'file', ...robotBrowser()], {env: login.env})
    expect(summary(again)).toMatchObject({code: 0, stdout: ''})
    expect(again.stderr).toContain(`Logged in to ${sandbox.pveUrl} (cluster sandbox) as bob@cli.`)
    const defaultProfile = await runInProcess(['login', '--store', 'file', ...scriptedBrowser('record')], {env: login.env})
    expect(summary(defaultProfile)).toMatchObject({code: 2, stdout: ''})
    expect(defaultProfile.stderr).toMatch(/No PVE server given, and none is remembered for this profile\./)
  })

  test('--redirect-host localhost: the IdP is told http://localhost:PORT/callback, and the login completes', async () => {
    const login = await freshCase(THEN_ROBOT())
    const outcome = await runInProcess([...connection(), '--redirect-host', 'localhost', ...scriptedBrowser('record-then-run')], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    const redirectUri = new URL(new URL((await readBrowserReport(login.browserReport)).url).searchParams.get('redirect_uri')!)
    expect(`${redirectUri.protocol}//${redirectUri.hostname}${redirectUri.pathname}`).toBe('http://localhost/callback')
  })
})

describe('PVE or the identity provider says no', () => {
  test('a realm with a client-key: exit 5, the hint names pve-login doctor, then client-key and public client; the IdP saw invalid_client', async () => {
    const login = await freshCase()
    const outcome = await runInProcess([...connection('misconf'), ...robotBrowser()], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 5, stdout: ''})
    expect(outcome.stderr).toMatch(/PVE refused the login through realm misconf \(401 authentication failure\)/)
    // pve-login doctor comes first (it can tell which cause it is), then the most likely cause, in plain words.
    expect(outcome.stderr).toMatch(/hint: Run pve-login doctor --server https:\/\/127\.0\.0\.1:\d+ --realm misconf first \(with the same certificate settings\)/)
    expect(outcome.stderr).toMatch(/\n\s+Likely causes, most likely first:\n\s+\(a\) The realm misconf has a client secret \(client-key\), but the identity provider treats a loopback redirect as a public client/)
    const events = await sandbox.idpEvents()
    expect(events.map((event) => event.error)).toContain('invalid_client')
  })

  test.each([
    ['does not exist', 'nowhere', /Realm nowhere does not exist on/],
    ['is not an OpenID realm', 'pam', /Realm pam on \S+ is a pam realm, not an OpenID realm/],
  ])('a realm that %s: exit 2, the OpenID realms listed, no browser opened', async (_why, realm, message) => {
    const login = await freshCase()
    const outcome = await runInProcess([...connection(realm), ...scriptedBrowser('record')], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 2, stdout: ''})
    expect(outcome.stderr).toMatch(message)
    expect(outcome.stderr).toContain(`OpenID realms on this server: ${OPENID_REALMS}.`)
    await expectNoBrowserOpened(login)
    // Checked before anything else: PVE was never asked for a login URL.
    expect((await sandbox.requestLog()).map((entry) => entry.path)).toEqual(['/api2/json/access/domains'])
  })

  test('--json: the realm error is a JSON object on stdout with the OpenID realms', async () => {
    const login = await freshCase()
    const outcome = await runInProcess([...connection('nowhere'), '--json', ...scriptedBrowser('record')], {env: login.env})
    expect(outcome.code).toBe(2)
    expect(JSON.parse(outcome.stdout)).toEqual({
      error: expect.objectContaining({code: 'REALM_INVALID', openidRealms: OPENID_REALMS.split(', ')}),
    })
  })

  test('the person presses Cancel at the identity provider: exit 5 with the IdP error, PVE never asked', async () => {
    const login = await freshCase({ROBOT_ACTION: 'deny'})
    const outcome = await runInProcess([...connection(), ...robotBrowser()], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 5, stdout: ''})
    expect(outcome.stderr).toMatch(/The identity provider refused the sign-in: access_denied/)
    expect(outcome.stderr).toMatch(/hint: The sign-in was cancelled or refused at the identity provider/)
    expect(countLogins(await sandbox.requestLog())).toBe(0)
  })

  test("an IdP error with the login's state: the page escapes the IdP's text, the CLI exits 5 with it", async () => {
    const login = await freshCase()
    const outcome = await runInProcess([...connection(), ...scriptedBrowser('forge-idp-error')], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 5, stdout: ''})
    // The IdP's words as they came, except that an escape sequence must not reach the terminal as one.
    expect(outcome.stderr).toContain('The identity provider refused the sign-in: access_denied (<script>alert(1)</script>\\x1b]0;pwned\\x07)')
    expect([outcome.stderr.includes('\u001b'), outcome.stderr.includes('\u0007')]).toEqual([false, false])
    // The script reports after its second request, which may be after pve-login has exited.
    const {page, again} = await readBrowserReport(await fileAppears(login.browserReport, 10_000))
    expect({page, again}).toMatchObject({
      page: {status: 200, headers: {'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8'}},
      again: 'ECONNREFUSED',
    })
    expect(page!.body).toContain('access_denied (&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(page!.body).not.toMatch(/<script/i)
  })
})

describe('reaching the server', () => {
  test('nobody answers: exit 7, no browser opened', async () => {
    const {port, release} = await holdPort()
    await release()
    const login = await freshCase()
    const outcome = await runInProcess(['--server', `https://127.0.0.1:${port}`, '--realm', 'cli', '--store', 'file', ...scriptedBrowser('record')], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 7, stdout: ''})
    expect(outcome.stderr).toMatch(/Cannot reach https:\/\/127\.0\.0\.1:\d+ \(connection refused\)/)
    await expectNoBrowserOpened(login)
  })


  test('TLS: no trust for a self-signed certificate: exit 4 with its fingerprint and how to pin it; no browser opened', async () => {
    const login = await freshCase()
    const args = ['--server', sandbox.pveUrl, '--realm', 'cli', '--store', 'file', ...scriptedBrowser('record')]
    const outcome = await runInProcess(args, {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 4, stdout: ''})
    expect(outcome.stderr).toMatch(/not signed by a CA this computer trusts/)
    expect(outcome.stderr).toContain(`--fingerprint ${sandbox.fingerprint}`)
    await expectNoBrowserOpened(login)
  })

  test('TLS: a wrong pin: exit 4, naming the fingerprint the server presented', async () => {
    const login = await freshCase()
    const wrongPin = sandbox.fingerprint.replace(/^../, (pair) => (pair === '00' ? '01' : '00'))
    const args = ['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', wrongPin, '--store', 'file', ...scriptedBrowser('record')]
    const outcome = await runInProcess(args, {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 4, stdout: ''})
    expect(outcome.stderr).toMatch(/does not match the pinned fingerprint/)
    expect(outcome.stderr).toContain(`The server now presents ${sandbox.fingerprint}`)
    await expectNoBrowserOpened(login)
  })

  test('TLS: --ca-file (or PVE_LOGIN_CA_FILE) and --insecure get through; --insecure warns', async () => {
    const [withCa, withCaFromEnv, insecure] = await Promise.all([freshCase(), freshCase({PVE_LOGIN_CA_FILE: sandbox.caFile}), freshCase()])
    const base = ['--server', sandbox.pveUrl, '--realm', 'cli', '--store', 'file', ...robotBrowser()]
    const [caOutcome, caFromEnvOutcome, insecureOutcome] = await Promise.all([
      runInProcess([...base, '--ca-file', sandbox.caFile], {env: withCa.env}),
      runInProcess(base, {env: withCaFromEnv.env}),
      runInProcess([...base, '--insecure'], {env: insecure.env}),
    ])
    for (const outcome of [caOutcome, caFromEnvOutcome]) {
      expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
      expect(outcome.stderr).not.toMatch(/warning/)
      expect(outcome.stderr).toContain('as alice@cli.')
    }
    expect(summary(insecureOutcome)).toMatchObject({code: 0, stdout: ''})
    expect(insecureOutcome.stderr).toMatch(/pve-login: warning: --insecure: the server certificate is not checked/)
    expect(insecureOutcome.stderr).toContain('as alice@cli.')
  })
})

describe('the loopback listener', () => {
  test('turns away a wrong state, path, Host and method, and still completes the login', async () => {
    const login = await freshCase(THEN_ROBOT())
    const outcome = await runInProcess([...connection(), ...scriptedBrowser('probe-then-run')], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    expect(outcome.stderr).toContain('as alice@cli.')
    const {statuses} = await readBrowserReport(login.browserReport)
    expect(statuses).toEqual({wrongState: 400, wrongPath: 404, wrongHost: 400, wrongMethod: 405})
  })

  test('--port with a list: a taken port is skipped, the next one is used in the redirect URL', async () => {
    const [taken, free] = await Promise.all([holdPort(), holdPort()])
    await free.release()
    try {
      const login = await freshCase(THEN_ROBOT())
      const outcome = await runInProcess([...connection(), '--port', `${taken.port},${free.port}`, ...scriptedBrowser('record-then-run')], {env: login.env})
      expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
      expect(redirectPort((await readBrowserReport(login.browserReport)).url)).toBe(free.port)
    } finally {
      await taken.release()
    }
  })

  test('a fixed port that is taken: exit 2 naming the port, no browser opened', async () => {
    const {port, release} = await holdPort()
    try {
      const login = await freshCase()
      const outcome = await runInProcess([...connection(), '--port', String(port), ...scriptedBrowser('record')], {env: login.env})
      expect(summary(outcome)).toMatchObject({code: 2, stdout: ''})
      expect(outcome.stderr).toContain(`No port of ${port} is free on 127.0.0.1 for the login callback.`)
      await expectNoBrowserOpened(login)
    } finally {
      await release()
    }
  })
})

describe('without a browser on this machine', () => {
  test('--no-browser: the URL on stderr, the redirected address pasted on stdin; a wrong paste is explained', async () => {
    const login = await freshCase()
    const cli = startCli([...connection(), '--no-browser'], {env: login.env, keepStdinOpen: true})
    const [, idpUrl] = await cli.waitForStderr(/Open this URL in a browser to sign in:\n {2}(\S+)\n/)

    cli.writeLine('http://127.0.0.1:1/callback?code=made-up&state=made-up')
    await cli.waitForStderr(/That is not this login's callback: That address is for port 1, not this login; .+ Paste the whole address the browser ended on, or press Ctrl-C to cancel\./)
    // The first wrong part is the one named: here the host, not the path.
    cli.writeLine('http://example.com/x')
    await cli.waitForStderr(/That address is for host example\.com, not this login; the sign-in ends at http:\/\/127\.0\.0\.1:\d+\/callback\?…\./)

    // Sign in like a person whose browser cannot reach this machine: the final redirect is copied, not followed.
    const redirect = await signInAtIdp(idpUrl!, {username: 'alice', password: 'alice-password'})
    expect(redirect.pathname).toBe('/callback')
    cli.writeLine(redirect.href)
    const outcome = await cli.finished
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    expect(outcome.stderr).toContain(`Logged in to ${sandbox.pveUrl} (cluster sandbox) as alice@cli.`)
  })

  test('a browser command that cannot start: the reason and the URL on stderr, and a pasted address still works', async () => {
    const login = await freshCase()
    const cli = startCli([...connection(), '--browser-command', '/nonexistent/browser'], {env: login.env, keepStdinOpen: true})
    const [, idpUrl] = await cli.waitForStderr(/Open this URL in a browser to sign in:\n {2}(\S+)\n/)
    expect(cli.stderrSoFar()).toMatch(/No browser was opened: the browser could not be started \(.*ENOENT.*\)\./)
    cli.writeLine((await signInAtIdp(idpUrl!, {username: 'bob', password: 'bob-password'})).href)
    const outcome = await cli.finished
    expect(summary(outcome)).toMatchObject({code: 0, stdout: ''})
    expect(outcome.stderr).toContain('as bob@cli.')
  })
})

describe('waiting, and giving up', () => {
  test('Ctrl-C while waiting: exit 130 and the listener is gone', async () => {
    const login = await freshCase()
    const cli = startCli([...connection(), ...scriptedBrowser('record')], {env: login.env})
    // The URL shown is the login's one-time start URL on the listener itself.
    const [, startUrl] = await cli.waitForStderr(/open this URL:\n {2}(\S+)\nWaiting for the browser sign-in \(5m left; Ctrl-C cancels\)/)
    const port = Number(new URL(startUrl!).port)
    expect(await canConnect(port)).toBe(true)

    cli.child.kill('SIGINT')
    const outcome = await cli.finished
    expect(summary(outcome)).toMatchObject({code: 130, stdout: ''})
    expect(outcome.stderr).toMatch(/pve-login: Login cancelled\./)
    expect(await canConnect(port)).toBe(false)
  })

  test('--timeout 10 with a browser that never comes back: exit 6, and the still-running browser holds nothing up', async () => {
    const login = await freshCase()
    const cli = startCli([...connection(), '--timeout', '10', ...scriptedBrowser('linger')], {env: login.env})
    const exited = await cli.exited
    // The browser command outlives the CLI, like a real browser; the CLI's output must still end when it does.
    const closedSoonAfter = await settlesWithin(cli.finished, 2000)
    const {pid: browserPid, url} = await readBrowserReport(login.browserReport)
    try {
      expect(exited).toEqual({code: 6, signal: null})
      expect(closedSoonAfter).toBe(true)
      const outcome = await cli.finished
      expect(outcome.stdout).toBe('')
      expect(outcome.stderr).toMatch(/Waiting for the browser sign-in \(10s left; Ctrl-C cancels\)/)
      expect(outcome.stderr).toMatch(/pve-login: No sign-in arrived within 10 s/)
      expect(await canConnect(redirectPort(url))).toBe(false)
    } finally {
      try {
        process.kill(browserPid, 'SIGTERM')
      } catch {
        // Already gone; the assertions above say whether that was expected.
      }
    }
  }, 30_000)
})

describe('usage errors', () => {
  test.each([
    ['a timeout below the minimum', ['--timeout', '5']],
    ['an unknown flag', ['--bogus']],
    ['a flag without its value', ['--port']],
    ['a port list that is not one', ['--port', '80,http']],
  ])('%s: exit 2 with a message and nothing on stdout', async (_what, extra) => {
    const login = await freshCase()
    const outcome = await runInProcess([...connection(), ...scriptedBrowser('record'), ...extra], {env: login.env})
    expect(summary(outcome)).toMatchObject({code: 2, stdout: ''})
    expect(outcome.stderr).toMatch(/^pve-login: /)
    expect(outcome.stderr).not.toMatch(/unexpected error/)
    await expectNoBrowserOpened(login)
  })
})
