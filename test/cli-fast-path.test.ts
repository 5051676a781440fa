import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {LOAD_RECORDER, readLoadRecord, REPOSITORY_ROOT, runCli, startCli} from './helpers/cli.js'
import {rememberProfile} from '../src/session/profile-config.js'
import {FileStore} from '../src/store/file-store.js'
import {sessionsDirectory} from '../src/store/open-store.js'

/**
 * `env` and `ticket` answer from the cache without loading oclif (bin/run.cjs → src/cli/fast-path.ts), and hand
 * anything they are unsure of to oclif. A cached session needs no server: a cache hit makes no request.
 * Needs `npm run build` first (npm test does it).
 */
const MODULE_LOG_HOOKS = pathToFileURL(join(REPOSITORY_ROOT, 'test', 'fixtures', 'module-log', 'register.mjs')).href
const SERVER = 'https://pve.invalid:8006'

let home: string
const issued = Math.floor(Date.now() / 1000)
const ticket = `PVE:o'brien@cli:${issued.toString(16).toUpperCase().padStart(8, '0')}::c2lnbmF0dXJl+/=`

interface Run {
  code: number
  stdout: string
  stderr: string
  loaded: string[]
}

async function cli(args: string[]): Promise<Run> {
  const log = join(home, `modules-${Math.random().toString(36).slice(2)}.log`)
  await writeFile(log, '')
  const {code, stdout, stderr} = await runCli(args, {nodeArgs: ['--import', MODULE_LOG_HOOKS], env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file', RESOLVE_LOG: log}})
  return {code: code ?? -1, stdout, stderr, loaded: (await readFile(log, 'utf8')).split('\n').filter(Boolean)}
}

const oclifLoaded = (run: Run) => run.loaded.some((url) => url.includes('/@oclif/'))

/** The builtin modules a run loaded (`NativeModule net`, …), as Node lists them. */
async function builtinsLoadedBy(args: string[]): Promise<{code: number; builtins: string[]}> {
  const log = join(home, `builtins-${Math.random().toString(36).slice(2)}.log`)
  const {code} = await runCli(args, {nodeArgs: ['--require', LOAD_RECORDER], env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file', BUILTIN_LOG: log}})
  return {code: code ?? -1, builtins: (await readLoadRecord(log)).builtins}
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pve-login-fast-'))
  await new FileStore(sessionsDirectory(home)).save({
    server: SERVER,
    realm: 'cli',
    username: "o'brien@cli",
    ticket,
    csrfToken: 'CSRF:token',
    issuedAt: new Date(issued * 1000).toISOString(),
  })
  await rememberProfile(home, 'default', {server: SERVER, realm: 'cli'})
})
afterAll(async () => {
  await rm(home, {recursive: true, force: true})
})

describe('the env/ticket/status fast path', () => {
  test('env answers from the cache without loading oclif or undici', async () => {
    const run = await cli(['env', '--shell', 'json', '--for', 'bpg,telmate'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({PROXMOX_VE_ENDPOINT: SERVER, PROXMOX_VE_AUTH_TICKET: ticket, PM_USER: "o'brien@cli", PM_PASS: ticket})
    expect(run.stderr).toContain('telmate')
    expect(oclifLoaded(run)).toBe(false)
    expect(run.loaded.some((url) => url.includes('/undici/'))).toBe(false)
  })

  test('a cached env writing to a pipe loads no networking, terminal or stream module, nor fs/promises or the ES loader', async () => {
    // Each of these costs a cached `env` 1-5 ms, some of Node's own start-up of ~20 ms (docs/architecture.md).
    const {code, builtins} = await builtinsLoadedBy(['env'])
    expect(code).toBe(0)
    // The recorder works: the code cache's loader is there.
    expect(builtins).toContain('NativeModule vm')
    const expensive = ['NativeModule net', 'NativeModule tty', 'NativeModule stream', 'NativeModule internal/fs/promises', 'NativeModule internal/modules/esm/translators', 'NativeModule internal/util/parse_args/parse_args']
    expect(builtins.filter((name) => expensive.includes(name))).toEqual([])
  })

  test('ticket --json answers from the cache without oclif', async () => {
    const run = await cli(['ticket', '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({username: "o'brien@cli", ticket})
    expect(oclifLoaded(run)).toBe(false)
  })

  test('flags from the environment apply as they do under oclif', async () => {
    const run = await cli(['env', '--shell', 'json', '--realm', 'other', '--no-login'])
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('realm other')
  })

  test.each([
    [['env', '--bogus'], /--bogus is not a flag of env\./],
    [['env', '--shell', 'nope'], /--shell nope is not one of sh, bash/],
    [['ticket', '--login', '--no-login'], /--login and --no-login cannot be used together/],
  ])('%j is left to oclif, which explains it (exit 2)', async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(oclifLoaded(run)).toBe(true)
  })

  test('--help is oclif help, rendered at build time (test/pre-rendered-help.test.ts compares it with oclif)', async () => {
    const run = await cli(['env', '--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('EXAMPLES')
    expect(oclifLoaded(run)).toBe(false)
  })

  test('status answers from the store without oclif', async () => {
    const run = await cli(['status', '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject([{server: SERVER, realm: 'cli', username: "o'brien@cli"}])
    expect(oclifLoaded(run)).toBe(false)
  })

  test('status without a session for the selected realm exits 3 with its hint, as under oclif', async () => {
    const run = await cli(['status', '--realm', 'other'])
    expect(run.code).toBe(3)
    expect(run.stdout).toContain("o'brien@cli")
    expect(run.stderr).not.toBe('')
    expect(oclifLoaded(run)).toBe(false)
  })
})

describe('a reader of stdout that went away', () => {
  // `pve-login status | true`: the pipe's reading end is closed before pve-login writes. There is nobody to tell, so
  // it ends quietly with 141 (128 + SIGPIPE), on the fast path, the pre-rendered help and oclif's commands alike.
  test.each([[['env']], [['status']], [['ticket', '--json']], [['--help']], [['docs']]])('%j ends with 141 and says nothing', async (args) => {
    const running = startCli(args, {env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}})
    running.child.stdout.destroy()
    const {code, signal, stderr} = await running.finished
    expect({code, signal, stderr}).toEqual({code: 141, signal: null, stderr: ''})
  })
})
