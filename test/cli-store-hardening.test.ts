import {spawnSync} from 'node:child_process'
import {chmod, chown, mkdir, readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, test} from '@jest/globals'

import {forgetClockOffsets, loginArgs, removeDir, runCliInHome as cli, seedLogin, useTempHomes} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'

/**
 * pve-login's state against a hostile or broken machine, through the CLI: folders other users can write to, symlinks
 * and stray entries in the store, oversized answers from the server, CA files that are not files, and an explicit
 * --ca-file meeting a remembered pin.
 */
const sandbox = useSandbox()
const {newHome} = useTempHomes()

/** Another local user: nobody (65534) exists on every Debian; running as it needs root. */
const OTHER_UID = 65534
const isRoot = process.getuid?.() === 0
const asRootTest = isRoot ? test : test.skip
if (!isRoot) process.stderr.write('SKIPPING tests that need a second local user: they change file owners, which needs root\n')

describe('folders and files other users could change (as ssh refuses them)', () => {
  test('a world-writable PVE_LOGIN_HOME is refused with exit 2 and the chmod that fixes it, before anything is read', async () => {
    const home = await newHome()
    await seedLogin(sandbox, home)
    await chmod(home, 0o777)
    for (const args of [['status'], ['env'], ['logout']]) {
      const result = await cli(home, args)
      expect({args, code: result.code, stdout: result.stdout}).toEqual({args, code: 2, stdout: ''})
      expect(result.stderr).toContain(`${home} can be changed by every user (mode 0777)`)
      expect(result.stderr).toContain(`hint: Run: chmod 700 ${home}`)
    }
    await chmod(home, 0o700)
    expect((await cli(home, ['env'])).code).toBe(0)
  })

  test('a group-writable config.json is refused; so is a sessions folder that is a symlink', async () => {
    const home = await newHome()
    await seedLogin(sandbox, home)
    await chmod(join(home, 'config.json'), 0o664)
    const groupWritable = await cli(home, ['status'])
    expect(groupWritable.code).toBe(2)
    expect(groupWritable.stderr).toContain(`hint: Run: chmod 600 ${join(home, 'config.json')}`)
    await chmod(join(home, 'config.json'), 0o600)

    const elsewhere = await newHome()
    await writeFile(join(elsewhere, 'planted.json'), '{}')
    await removeDir(join(home, 'sessions'))
    await symlink(elsewhere, join(home, 'sessions'))
    const linked = await cli(home, ['env'])
    expect(linked.code).toBe(2)
    expect(linked.stderr).toContain(`${join(home, 'sessions')} is a symbolic link; pve-login does not follow links out of its folder.`)
  })

  asRootTest('another user who can write to the folder plants config.json: the next login refuses to use it', async () => {
    const home = await newHome()
    await chmod(home, 0o777)
    // The other user writes its own server and pin, as it would through a world-writable folder.
    const planted = JSON.stringify({profiles: {default: {server: 'https://127.0.0.2:8006', realm: 'cli', fingerprint: 'AA:'.repeat(31) + 'AA'}}})
    const write = spawnSync('/bin/sh', ['-c', `printf '%s' "$0" > config.json`, planted], {cwd: home, uid: OTHER_UID, gid: OTHER_UID})
    expect(write.status).toBe(0)
    await chmod(home, 0o700)
    const login = await cli(home, ['login', '--browser-command', sandbox.robotBrowser])
    expect(login.code).toBe(2)
    expect(login.stderr).toContain(`${join(home, 'config.json')} belongs to another user (uid ${OTHER_UID}`)
  })

  asRootTest('a PVE_LOGIN_HOME owned by another user is refused', async () => {
    const home = await newHome()
    await seedLogin(sandbox, home)
    await chown(home, OTHER_UID, OTHER_UID)
    const result = await cli(home, ['env'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${home} belongs to another user (uid ${OTHER_UID}, you are uid 0)`)
  })
})

describe('stray entries in the sessions folder', () => {
  test('a folder named x.json and a badly encoded name are skipped with one warning; login, env, status and logout work', async () => {
    const home = await newHome()
    await seedLogin(sandbox, home)
    await mkdir(join(home, 'sessions', 'x.json'))
    await writeFile(join(home, 'sessions', '%E0%A4%A.json'), '{}', {mode: 0o600})
    const env = await cli(home, ['env'])
    expect(env.code).toBe(0)
    expect(env.stderr.trim().split('\n')).toEqual([
      'pve-login: warning: Skipping 2 entries in the sessions folder that pve-login did not write: "%E0%A4%A.json" (not a name pve-login writes), "x.json" (a folder, not a file).',
    ])
    expect((await cli(home, ['status'])).code).toBe(0)
    expect((await cli(home, ['login', ...loginArgs(sandbox)], {env: {ROBOT_USER: 'alice'}})).code).toBe(0)
    const logout = await cli(home, ['logout'])
    expect(logout.code).toBe(0)
    expect(logout.stderr).not.toContain('unexpected error')
  })
})

describe('oversized answers and messages', () => {
  /** A home whose ticket is old enough that env renews it (50 minutes left, env wants 60). */
  async function homeNeedingRenewal(): Promise<string> {
    const home = await newHome()
    await sandbox.setClock(-70 * 60)
    await seedLogin(sandbox, home)
    await sandbox.setClock(0)
    // The login measured the turned-back clock as an offset; forget it so the ticket looks 70 minutes old here too.
    await forgetClockOffsets(home)
    return home
  }

  test('a never-ending /access/ticket answer is cut at 1 MiB: the renewal fails and the cached ticket is used', async () => {
    const home = await homeNeedingRenewal()
    await sandbox.fault('/access/ticket', 'huge')
    const env = await cli(home, ['env'])
    expect(env.code).toBe(0)
    expect(env.stdout).toContain('PROXMOX_VE_AUTH_TICKET=')
    expect(env.stderr).toContain('POST /access/ticket answered with more than 1 MiB; the answer was not read')
  })

  test('a 900 KiB error message from PVE becomes a warning of at most a few hundred characters', async () => {
    const home = await homeNeedingRenewal()
    await sandbox.fault('/access/ticket', 'huge-message')
    const env = await cli(home, ['env'])
    expect(env.code).toBe(0)
    const warning = env.stderr.split('\n').find((line) => line.includes('Renewing the ticket failed'))
    expect(warning).toMatch(/sandbox fault: x+… \(\d+ more characters\)/)
    expect(warning!.length).toBeLessThan(1000)
  })
})

describe('--ca-file', () => {
  test('must be a bounded regular file: /dev/zero, a FIFO and a 2 MiB file are refused with exit 2, at once', async () => {
    const home = await newHome()
    const fifo = join(home, 'ca.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const big = join(home, 'big.pem')
    await writeFile(big, '-----BEGIN CERTIFICATE-----\n' + 'A'.repeat(2 * 1024 * 1024))
    for (const [file, words] of [['/dev/zero', 'is not a regular file (a device or socket)'], [fifo, 'is not a regular file (a pipe)'], [big, 'is larger than 1024 KiB']] as const) {
      const result = await cli(home, ['login', '--server', sandbox.pveUrl, '--realm', 'cli', '--ca-file', file, '--browser-command', sandbox.robotBrowser], {killAfterMs: 15_000})
      expect({file, code: result.code, signal: result.signal}).toEqual({file, code: 2, signal: null})
      expect(result.stderr).toContain(`The CA file ${file} ${words}`)
    }
  })

  test('an explicit --ca-file is read and replaces a remembered pin: garbage is refused, the real CA is used and remembered', async () => {
    const home = await newHome()
    await seedLogin(sandbox, home)
    const garbage = join(home, 'garbage.pem')
    await writeFile(garbage, 'not a certificate\n')
    const refused = await cli(home, ['login', '--ca-file', garbage, '--browser-command', sandbox.robotBrowser])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`${garbage} holds no PEM certificate`)
    expect(JSON.parse(await readFile(join(home, 'config.json'), 'utf8')).profiles.default.caFile).toBeUndefined()

    const withCa = await cli(home, ['login', '--ca-file', sandbox.caFile, '--browser-command', sandbox.robotBrowser], {env: {ROBOT_USER: 'alice'}})
    expect(withCa.code).toBe(0)
    const profile = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')).profiles.default as Record<string, string>
    expect(profile['caFile']).toBe(sandbox.caFile)
    expect(profile['fingerprint']).toBeUndefined()
  })
})
