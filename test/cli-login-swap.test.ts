/**
 * Issue 14 point 4: another local user must not be able to swap the login (login CSRF). The browser is opened at a
 * one-time start URL on the listener, so PVE's state never appears on a command line; opening the start URL twice,
 * or a callback before it was opened, stops the login; and a login as someone other than the previous session's
 * user says so.
 */
import {execFileSync, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {parse as parseShellWords, quote} from 'shell-quote'

import {countRequests, fileAppears, makeTempDir, removeDir, runCli, seedLogin, startCli} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

const SCRIPTED_BROWSER = fileURLToPath(new URL('./fixtures/scripted-browser.mjs', import.meta.url))
const SNOOP_USER = 'pvelogin-snoop'

let sandbox: SandboxProcess
const dirs: string[] = []

beforeAll(async () => {
  sandbox = await startSandboxProcess()
}, 60_000)

afterAll(async () => {
  await sandbox?.stop()
  for (const dir of dirs) await removeDir(dir)
})

async function scratch(): Promise<string> {
  const dir = await makeTempDir()
  dirs.push(dir)
  return dir
}

function connection(): string[] {
  return ['login', '--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--store', 'file', '--timeout', '20']
}

function browser(mode: string): string[] {
  return ['--browser-command', quote([process.execPath, SCRIPTED_BROWSER, mode])]
}

/** The robot browser as argv, for SCRIPTED_BROWSER_THEN. */
function robotArgv(): string {
  return JSON.stringify(parseShellWords(sandbox.robotBrowser))
}

async function report(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(await fileAppears(path, 10_000), 'utf8')) as Record<string, unknown>
}

/** A process that reads every /proc/PID/cmdline over and over until its stdin closes, then reports what it saw. */
const READER = `
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
// The needles come in the environment: on our own command line they would be found there.
const [goFile] = process.argv.slice(2)
const needles = JSON.parse(process.env.READER_NEEDLES)
let scans = 0, sawBrowser = false, sawStartUrl = false
const hits = []
let stop = false
process.stdin.on('end', () => (stop = true)).on('close', () => (stop = true)).resume()
/** The pids above this one (from /proc/PID/stat, readable by anyone), so the test can tell its login's processes from others. */
function ancestors(pid) {
  const chain = []
  for (let current = pid; current && current !== '1' && chain.length < 50; ) {
    let stat
    try { stat = readFileSync('/proc/' + current + '/stat', 'latin1') } catch { break }
    current = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]
    chain.push(Number(current))
  }
  return chain
}
function scan() {
  scans++
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue
    let line
    try { line = readFileSync('/proc/' + pid + '/cmdline', 'latin1').split('\\0').join(' ') } catch { continue }
    if (line.includes('scripted-browser.mjs await-then-run')) {
      sawBrowser = true
      if (/http:\\/\\/127\\.0\\.0\\.1:[0-9]+\\/start\\//.test(line)) sawStartUrl = true
      if (!existsSync(goFile)) writeFileSync(goFile, 'seen')
    }
    for (const needle of needles) if (line.includes(needle)) hits.push({pid, needle, ancestors: ancestors(pid), line: line.slice(0, 300)})
  }
  // Bounded: at most 20 000 scans, and never past the end of the login.
  if (stop || scans >= 20000) process.stdout.write(JSON.stringify({scans, sawBrowser, sawStartUrl, hits}) + '\\n')
  else setImmediate(scan)
}
scan()
`

function snoopAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a second local user (useradd) and run a process as it (setpriv)'
  for (const tool of ['useradd', 'setpriv']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'})
    } catch {
      return `${tool} is not installed`
    }
  }
  return undefined
}

const whyNoSnoop = snoopAvailable()
const requireAll = process.env.PVE_LOGIN_TEST_REQUIRE_ALL === '1'
const snoopTest = whyNoSnoop && !requireAll ? test.skip : test
if (whyNoSnoop) console.warn(`skipping the second-local-user test: ${whyNoSnoop}`)

describe('a second local user watching the process list', () => {
  snoopTest("reads every /proc/*/cmdline during a login and finds no state, csrf_token or IdP URL", async () => {
    try {
      execFileSync('id', ['-u', SNOOP_USER], {stdio: 'ignore'})
    } catch {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SNOOP_USER])
    }
    const uid = execFileSync('id', ['-u', SNOOP_USER], {encoding: 'utf8'}).trim()
    const gid = execFileSync('id', ['-g', SNOOP_USER], {encoding: 'utf8'}).trim()
    // A directory the other user can write to (the "seen it" signal) and read the reader from.
    const shared = await mkdtemp(join(tmpdir(), 'pve-login-snoop-'))
    dirs.push(shared)
    await chmod(shared, 0o777)
    const readerPath = join(shared, 'reader.mjs')
    await writeFile(readerPath, READER, {mode: 0o644})
    const goFile = join(shared, 'go')
    const home = await scratch()
    const needles = ['state=', 'csrf_token', sandbox.idpUrl, 'redirect_uri']

    const reader = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', process.execPath, readerPath, goFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {PATH: process.env.PATH, READER_NEEDLES: JSON.stringify(needles)},
    })
    let readerOut = ''
    let readerErr = ''
    reader.stdout.on('data', (chunk: Buffer) => (readerOut += chunk.toString()))
    reader.stderr.on('data', (chunk: Buffer) => (readerErr += chunk.toString()))
    const readerDone = new Promise<void>((resolve) => reader.once('close', () => resolve()))
    let cliPid = -1
    try {
      const cli = startCli([...connection(), ...browser('await-then-run')], {
        env: {PVE_LOGIN_HOME: home, SCRIPTED_BROWSER_REPORT: join(home, 'report.json'), SCRIPTED_BROWSER_GO: goFile, SCRIPTED_BROWSER_THEN: robotArgv()},
        killAfterMs: 60_000,
      })
      cliPid = cli.child.pid!
      const login = await cli.finished
      expect({code: login.code, stderr: login.stderr}).toMatchObject({code: 0, stderr: expect.stringContaining('as alice@cli.')})
    } finally {
      reader.stdin.end()
      await readerDone
    }
    expect(readerErr).toBe('')
    const seen = JSON.parse(readerOut) as {scans: number; sawBrowser: boolean; sawStartUrl: boolean; hits: {pid: string; ancestors: number[]; line: string}[]}
    // It did see the browser's command line, with the start URL on it (so the check below could have failed)…
    expect(seen).toMatchObject({sawBrowser: true, sawStartUrl: true})
    expect(existsSync(goFile)).toBe(true)
    // …and no command line of this login's processes (the CLI and all it started) carried PVE's state, and none at
    // all carried this sandbox's IdP URL. Other jobs on the machine (an older checkout's tests) are not ours to judge.
    const ours = seen.hits.filter((hit) => Number(hit.pid) === cliPid || hit.ancestors.includes(cliPid) || hit.line.includes(sandbox.idpUrl))
    expect(ours).toEqual([])
  }, 90_000)
})

describe('the one-time start URL', () => {
  test('opened a second time: the login stops loudly (exit 5), nothing is stored, PVE never sees a code', async () => {
    const home = await scratch()
    const reportPath = join(home, 'report.json')
    await sandbox.resetLog()

    const login = await runCli([...connection(), ...browser('start-twice')], {env: {PVE_LOGIN_HOME: home, SCRIPTED_BROWSER_REPORT: reportPath}})

    expect(login.code).toBe(5)
    expect(login.stderr).toMatch(/start page was opened a second time/)
    expect(await report(reportPath)).toMatchObject({first: 302, second: expect.not.stringMatching(/^302$/)})
    expect((await report(reportPath)).second).not.toBe(302)
    expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/openid/login')).toBe(0)
    expect((await runCli(['status'], {env: {PVE_LOGIN_HOME: home}})).code).toBe(3)
  }, 40_000)

  test('a callback before the start URL was opened: the login stops loudly, and the start URL no longer leads to the IdP', async () => {
    const home = await scratch()
    const reportPath = join(home, 'report.json')
    await sandbox.resetLog()

    const login = await runCli([...connection(), ...browser('callback-first')], {env: {PVE_LOGIN_HOME: home, SCRIPTED_BROWSER_REPORT: reportPath}})

    expect(login.code).toBe(5)
    expect(login.stderr).toMatch(/before the browser had opened the login's start page/)
    const {early, start} = await report(reportPath)
    expect(early).not.toBe(302)
    expect(start).not.toBe(302)
    expect(countRequests(await sandbox.requestLog(), 'POST', '/api2/json/access/openid/login')).toBe(0)
    expect((await runCli(['status'], {env: {PVE_LOGIN_HOME: home}})).code).toBe(3)
  }, 40_000)
})

describe('who signed in', () => {
  test('a login as another user than the previous session for that server and realm says so', async () => {
    const home = await scratch()
    const first = await seedLogin(sandbox, home, {user: 'alice'})
    expect(first.stderr).not.toMatch(/previous session/)

    const second = await seedLogin(sandbox, home, {user: 'bob'})

    expect(second.stderr).toContain('as bob@cli.')
    expect(second.stderr).toMatch(/warning: Signed in as bob@cli, but the previous session for realm cli on \S+ was alice@cli/)
    // The same user again is no news.
    const third = await seedLogin(sandbox, home, {user: 'bob'})
    expect(third.stderr).not.toMatch(/previous session/)
  }, 60_000)
})
