/**
 * What a user gets from the registry: `npm pack`, then `npm install -g` of that tarball into an empty prefix, then the
 * installed `pve-login` run from outside the repository. It must start, explain itself, refuse `env` without a login
 * in one line, log in against the sandbox, and carry its docs/ and LICENSE. Run `npm run build` first (the pack skips
 * the prepack build). Needs npm and its registry (or a warm npm cache): skipped with the reason otherwise, a failure
 * in CI (PVE_LOGIN_TEST_REQUIRE_ALL=1).
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {requireAll} from './helpers/capabilities.js'
import {cleanEnv, makeTempDir, removeDir, REPOSITORY_ROOT} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: readonly string[], options: {cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

function npmWorks(): boolean {
  const npm = spawnSync('npm', ['--version'], {encoding: 'utf8'})
  if (npm.status === 0) return true
  const message = 'npm is not on PATH: the installed-package test needs it'
  if (requireAll) throw new Error(`${message} (PVE_LOGIN_TEST_REQUIRE_ALL=1: CI must not skip this)`)
  process.stderr.write(`SKIPPING ${message}\n`)
  return false
}

const describeWithNpm = npmWorks() ? describe : describe.skip

describeWithNpm('the package as npm installs it', () => {
  let scratch: string
  let prefix: string
  let installed: string
  let bin: string
  let sandbox: SandboxProcess | undefined
  let skipReason: string | undefined

  beforeAll(async () => {
    scratch = await makeTempDir('pve-login-package-')
    prefix = join(scratch, 'prefix')
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {cwd: REPOSITORY_ROOT, timeoutMs: 60_000})
    if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`)
    const [{filename}] = JSON.parse(pack.stdout) as [{filename: string}]
    // An empty prefix, outside the repository: what `npm install -g pve-login` gives a user.
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', join(scratch, filename)], {
      cwd: scratch,
      timeoutMs: 180_000,
    })
    if (install.code !== 0) {
      const message = `npm install -g of the packed tarball failed (no registry or cache?):\n${install.stderr.slice(-2000)}`
      if (requireAll) throw new Error(message)
      skipReason = message
      process.stderr.write(`SKIPPING the installed-package checks: ${message}\n`)
      return
    }
    installed = join(prefix, 'lib', 'node_modules', 'pve-login')
    bin = join(prefix, 'bin', 'pve-login')
    sandbox = await startSandboxProcess()
  }, 240_000)

  afterAll(async () => {
    await sandbox?.stop()
    if (scratch) await removeDir(scratch)
  })

  /** The installed binary, run from the scratch directory with a fresh PVE_LOGIN_HOME and the file store. */
  const pveLogin = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    run(bin, args, {cwd: scratch, env: {PVE_LOGIN_HOME: join(scratch, 'home'), PVE_LOGIN_STORE: 'file', ...env}, timeoutMs: 60_000})

  test('ships docs/ (with the setup guides) and LICENSE, and no sources or tests', () => {
    if (skipReason) return
    expect(existsSync(join(installed, 'LICENSE'))).toBe(true)
    for (const doc of ['login.md', 'troubleshooting.md', 'cli.md', join('setup', 'README.md')]) expect({doc, present: existsSync(join(installed, 'docs', doc))}).toEqual({doc, present: true})
    expect(existsSync(join(installed, 'src'))).toBe(false)
    expect(existsSync(join(installed, 'test'))).toBe(false)
  })

  test('pve-login --help starts and shows the login usage; docs points into the installed package', async () => {
    if (skipReason) return
    const help = await pveLogin(['--help'])
    expect({code: help.code, stderr: help.stderr}).toEqual({code: 0, stderr: ''})
    expect(help.stdout).toContain('pve-login --server')
    const path = await pveLogin(['docs', 'troubleshooting', '--path'])
    expect({code: path.code, stdout: path.stdout}).toEqual({code: 0, stdout: `${join(installed, 'docs', 'troubleshooting.md')}\n`})
    const license = await readFile(join(installed, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License/)
  })

  test('doctor --help works when the package has a doctor command', async () => {
    if (skipReason) return
    const manifest = JSON.parse(await readFile(join(installed, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    if (!('doctor' in manifest.commands)) return
    const help = await pveLogin(['doctor', '--help'])
    expect({code: help.code, stderr: help.stderr}).toEqual({code: 0, stderr: ''})
    expect(help.stdout).toMatch(/USAGE/)
  })

  test('env without a login: exit 3 and one line with its hint', async () => {
    if (skipReason) return
    const env = await pveLogin(['env'], {PVE_LOGIN_SERVER: 'pve.example.com', PVE_LOGIN_REALM: 'cli'})
    expect({code: env.code, stdout: env.stdout}).toEqual({code: 3, stdout: ''})
    const lines = env.stderr.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^pve-login: /)
    expect(lines.slice(1).every((line) => /^ {2}hint: | {8}/.test(line))).toBe(true)
  })

  test('a sandbox login with the installed binary, then an API call', async () => {
    if (skipReason || !sandbox) return
    const login = await pveLogin(['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--browser-command', sandbox.robotBrowser])
    expect({code: login.code, stderr: login.stderr}).toEqual({code: 0, stderr: expect.stringContaining('Logged in to')})
    const version = await pveLogin(['api', '/version'])
    expect({code: version.code, data: JSON.parse(version.stdout || 'null') as unknown}).toEqual({code: 0, data: expect.objectContaining({release: expect.any(String)})})
  }, 60_000)
})
