import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {beforeAll, describe, expect, test} from '@jest/globals'

import {getSession, login, type SessionOptions} from '../src/index.js'
import {cleanEnv, useTempHomes} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'

/**
 * examples/deploy-vm.ts run as a user runs it: a separate Node process importing 'pve-login' (the built package,
 * through package.json `exports`), non-interactive, taking the session a login left in the file store.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const EXAMPLE = join(ROOT, 'examples', 'deploy-vm.ts')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run npm run build before these tests')
})
const sandbox = useSandbox({resetAfterEach: false})
const {newHome} = useTempHomes('pve-login-example-')

/** What a CI job would set: where pve-login keeps its files, and which server, realm and certificate. */
async function ciEnvironment(): Promise<NodeJS.ProcessEnv> {
  return cleanEnv({
    PVE_LOGIN_HOME: await newHome(),
    PVE_LOGIN_STORE: 'file',
    PVE_LOGIN_SERVER: sandbox.pveUrl,
    PVE_LOGIN_REALM: 'cli',
    PVE_LOGIN_FINGERPRINT: sandbox.fingerprint,
  })
}

/** A person's earlier login, leaving the session in the file store of that environment. */
async function loginOnce(env: NodeJS.ProcessEnv): Promise<void> {
  const options: SessionOptions = {env, browserCommand: sandbox.robotBrowser}
  await (await login(options)).close()
}

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, {cwd: ROOT, env, timeout: 30_000}, (error, stdout, stderr) => {
      resolve({code: error ? ((error as {code?: number}).code ?? null) : 0, stdout, stderr})
    })
  })
}

describe('examples/deploy-vm.ts', () => {
  test('clones template 9000 on pve1 with the cached session and reports the task OK', async () => {
    const env = await ciEnvironment()
    await loginOnce(env)
    await sandbox.resetLog()

    const run = await runNode(['--import', 'tsx', EXAMPLE, '--newid', '321', '--name', 'ci-runner'], env)

    expect(run.stderr).toMatch(/^Cloning 9000 to 321 on pve1 as alice@cli: task UPID:pve1:\S+$/m)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({node: 'pve1', template: 9000, vmid: 321, upid: expect.stringMatching(/^UPID:pve1:.*:qmclone:9000:alice@cli:$/), exitstatus: 'OK'})
    const paths = (await sandbox.requestLog()).map((entry) => `${entry.method} ${entry.path} ${entry.status}`)
    // The cached ticket was enough: no login, no renewal.
    expect(paths).toEqual([
      'POST /api2/json/nodes/pve1/qemu/9000/clone 200',
      expect.stringMatching(/^GET \/api2\/json\/nodes\/pve1\/tasks\/UPID.*\/status 200$/),
    ])
    const session = await getSession({env, interactive: false})
    try {
      expect(await session.get('/nodes/pve1/qemu')).toContainEqual(expect.objectContaining({vmid: 321, name: 'ci-runner'}))
    } finally {
      await session.close()
    }
  })

  test('without --newid it takes the next id on the node', async () => {
    const env = await ciEnvironment()
    await loginOnce(env)

    const run = await runNode(['--import', 'tsx', EXAMPLE], env)

    expect(run.code).toBe(0)
    const {vmid} = JSON.parse(run.stdout) as {vmid: number}
    expect(vmid).toBeGreaterThan(9000)
  })

  test('with nothing cached and no terminal it fails with LOGIN_REQUIRED and exit code 1, opening nothing', async () => {
    const env = await ciEnvironment()
    await sandbox.resetLog()

    const run = await runNode(['--import', 'tsx', EXAMPLE, '--newid', '322'], env)

    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^LOGIN_REQUIRED: No valid PVE ticket for realm cli/m)
    expect(await sandbox.requestLog()).toEqual([])
  })

  test('keepAlive does not hold a script open: it exits without close()', async () => {
    const env = await ciEnvironment()
    await loginOnce(env)
    const script = `
      import {getSession} from 'pve-login'
      const session = await getSession({interactive: false})
      session.keepAlive({intervalMs: 50})
      const version = await session.get('/version')
      process.stdout.write(version.release)
    `

    const started = Date.now()
    const run = await runNode(['--input-type=module', '-e', script], env)

    expect(run).toMatchObject({code: 0, stdout: '9.1', stderr: ''})
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
