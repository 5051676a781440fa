import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import * as publicApi from '../src/index.js'

/**
 * The built package as its users meet it: `import('pve-login')` and `require('pve-login')` in a plain Node process
 * (resolved through package.json `exports`, the repository referencing itself), and `dist/index.d.ts` under a
 * TypeScript consumer. Needs `npm run build` first (npm test does it).
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The package's entry (package.json exports): a small CommonJS module over the bundle (scripts/library-bundle.js). */
const DIST_ENTRY = join(ROOT, 'dist', 'lib', 'index.cjs')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
/** Records every module the ESM loader resolves (CommonJS modules that ESM pulls in land in require.cache). */
const MODULE_LOG_HOOKS = pathToFileURL(join(ROOT, 'test', 'fixtures', 'module-log', 'register.mjs')).href
let work: string

/** Imports each of TARGETS (comma-separated), then prints the CommonJS module cache. */
const IMPORT_TARGETS = `
for (const target of process.env.TARGETS.split(',')) await import(target)
const {createRequire} = await import('node:module')
process.stdout.write(JSON.stringify(Object.keys(createRequire(process.cwd() + '/').cache)))
`

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = {...process.env, ...env}
  // jest's --experimental-vm-modules is for jest; the child is a plain Node like a user's script.
  delete childEnv.NODE_OPTIONS
  return new Promise((resolve) => {
    execFile(process.execPath, args, {cwd: ROOT, env: childEnv, timeout: 30_000}, (error, stdout, stderr) => {
      resolve({code: error ? ((error as {code?: number}).code ?? null) : 0, stdout, stderr})
    })
  })
}

interface Loaded {
  /** URLs the ESM loader resolved. */
  resolved: string[]
  /** Paths in require.cache. */
  required: string[]
}

async function loadedBy(targets: string[], name: string): Promise<Loaded> {
  const log = join(work, `${name}.log`)
  await writeFile(log, '')
  const run = await runNode(['--import', MODULE_LOG_HOOKS, '--input-type=module', '-e', IMPORT_TARGETS], {
    TARGETS: targets.join(','),
    RESOLVE_LOG: log,
  })
  expect(run).toMatchObject({code: 0, stderr: ''})
  const resolved = (await readFile(log, 'utf8')).split('\n').filter(Boolean)
  return {resolved, required: JSON.parse(run.stdout) as string[]}
}

const mentions = (loaded: Loaded, pattern: RegExp) => [...loaded.resolved, ...loaded.required].filter((entry) => pattern.test(entry))
const OCLIF = /[/\\]node_modules[/\\]@oclif[/\\]/
const UNDICI = /[/\\]node_modules[/\\]undici[/\\]/

beforeAll(async () => {
  if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing: run npm run build before these tests`)
  work = await mkdtemp(join(tmpdir(), 'pve-login-import-'))
})

afterAll(async () => {
  if (work) await rm(work, {recursive: true, force: true})
})

describe('import', () => {
  test('importing the package loads neither @oclif/core nor undici', async () => {
    const loaded = await loadedBy(['pve-login'], 'package')

    // The detector saw the package itself, so an empty finding below means something.
    expect(loaded.resolved).toContain(pathToFileURL(DIST_ENTRY).href)
    expect(mentions(loaded, OCLIF)).toEqual([])
    expect(mentions(loaded, UNDICI)).toEqual([])
  })

  test('control: the same detector does see @oclif/core and undici when they are imported', async () => {
    const loaded = await loadedBy(['pve-login', '@oclif/core', 'undici'], 'control')

    expect(loaded.resolved.filter((url) => OCLIF.test(url))).not.toEqual([])
    expect(loaded.required.filter((path) => OCLIF.test(path))).not.toEqual([])
    expect(mentions(loaded, UNDICI)).not.toEqual([])
  })

  test('the built entry exports exactly what the source entry does (a stale dist/ fails here)', async () => {
    const script = "const m = await import('pve-login'); process.stdout.write(JSON.stringify({named: Object.keys(m).filter((name) => name !== 'default'), onDefault: Object.keys(m.default)}))"
    const run = await runNode(['--input-type=module', '-e', script])

    expect(run.stderr).toBe('')
    const {named, onDefault} = JSON.parse(run.stdout) as {named: string[]; onDefault: string[]}
    expect(named.sort()).toEqual(Object.keys(publicApi).sort())
    // The entry is CommonJS, so Node adds `default` (its exports object), as for every CommonJS package.
    expect(onDefault.sort()).toEqual(Object.keys(publicApi).sort())
  })
})

describe('CommonJS', () => {
  test("require('pve-login') works without a flag (the entry is CommonJS) and gives the same classes", async () => {
    const home = join(work, 'cjs-home')
    const script = `
      const pveLogin = require('pve-login')
      pveLogin
        .getSession({server: 'https://127.0.0.1:9', realm: 'cli', store: 'file', interactive: false, env: {PVE_LOGIN_HOME: ${JSON.stringify(home)}}})
        .then(
          () => process.stdout.write('"unexpected session"'),
          (error) => process.stdout.write(JSON.stringify({
            code: error.code,
            loginRequired: error instanceof pveLogin.LoginRequiredError,
            isPveLoginError: pveLogin.isPveLoginError(error),
            exports: Object.keys(pveLogin),
          })),
        )
    `
    const run = await runNode(['-e', script])

    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const result = JSON.parse(run.stdout) as {code: string; loginRequired: boolean; isPveLoginError: boolean; exports: string[]}
    expect(result).toMatchObject({code: 'LOGIN_REQUIRED', loginRequired: true, isPveLoginError: true})
    expect(result.exports.sort()).toEqual(Object.keys(publicApi).sort())
  })
})

describe('types', () => {
  test('dist/index.d.ts serves TypeScript consumers, ESM and CommonJS (module nodenext)', async () => {
    const consumer = join(work, 'consumer')
    await mkdir(join(consumer, 'node_modules'), {recursive: true})
    await symlink(ROOT, join(consumer, 'node_modules', 'pve-login'), 'dir')
    await writeFile(
      join(consumer, 'deploy.mts'),
      `
import {
  getSession, login, logout, isPveLoginError, PveApiError, TlsVerificationError, DEFAULT_MIN_VALID_SECONDS,
  type KeepAliveOptions, type LoginProgress, type PveLoginErrorCode, type Session, type SessionOptions, type SessionRecord,
} from 'pve-login'
const onProgress = (event: LoginProgress): void => void (event.type === 'waiting' && event.deadline.getTime())
const options: SessionOptions = {server: 'pve', realm: 'cli', interactive: false, tls: {fingerprint: 'AA'}, minValidSeconds: DEFAULT_MIN_VALID_SECONDS, onProgress}
const session: Session = await getSession(options)
const nodes: {node: string}[] = await session.get<{node: string}[]>('/nodes')
const upid: string = await session.post<string>('/nodes/pve1/qemu/9000/clone', {newid: 101, full: true})
const keep: KeepAliveOptions = {intervalMs: 1000, onRenewed: (renewed) => void renewed.expiresAt.toISOString()}
session.keepAlive(keep)
const headers: Record<string, string> = session.headers('POST')
const record: SessionRecord = session.record
const removed: SessionRecord[] = await logout({all: true})
try {
  await login({server: 'pve', realm: 'cli', openBrowser: (url) => void url})
} catch (error) {
  const code: PveLoginErrorCode | undefined = isPveLoginError(error) ? error.code : undefined
  const status = error instanceof PveApiError ? error.status : error instanceof TlsVerificationError ? error.fingerprint : code
  void status
}
// @ts-expect-error paths are strings: this line proves the types are not 'any'
await session.get(42)
void [nodes, upid, headers, record, removed, session.dispatcher, session.csrfToken, session.clusterName, session.username]
await session.close()
`,
    )
    await writeFile(
      join(consumer, 'script.cts'),
      `
import {getSession, type Session} from 'pve-login'
export async function version(): Promise<unknown> {
  const session: Session = await getSession({interactive: false})
  return session.get('/version')
}
`,
    )
    const compilerOptions = {module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')]}
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify({compilerOptions, files: ['deploy.mts', 'script.cts']}))

    const run = await runNode([TSC, '-p', consumer])

    expect(run.stdout + run.stderr).toBe('')
    expect(run.code).toBe(0)
  })
})
