import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {hasPrivateSecretServiceTools} from './helpers/capabilities.js'
import {runCli, useTempHomes, type CliOptions, type CliResult} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'
import {startSecretService, type PrivateSecretService} from './helpers/secret-service.js'

/**
 * Where sessions live with the default store (`auto`), through the CLI against a real, private Secret Service
 * (dbus-daemon + gnome-keyring): kept in the keychain when it takes writes, in the file store when it is absent,
 * frozen or locked, and found again by every later process; a frozen keychain never keeps a command running.
 */
const KEYCHAIN_DEADLINE_MS = 3000
const NO_BUS = {DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pve-login-test-bus'}

const sandbox = useSandbox({resetAfterEach: false})
const {newHome} = useTempHomes()

function cli(home: string, args: readonly string[], env: Record<string, string>, options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, {...options, env: {PVE_LOGIN_HOME: home, ROBOT_USER: 'alice', ...env, ...options.env}})
}

/** `login` with the default store: no --store flag. */
function loginArgs(): string[] {
  return ['login', '--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--browser-command', sandbox.robotBrowser]
}

async function sessionFiles(home: string): Promise<string[]> {
  return (await readdir(join(home, 'sessions')).catch(() => [] as string[])).filter((name) => name.endsWith('.json'))
}

describe('no Secret Service on the session bus', () => {
  test('the first login says once, in plain words, where tickets are kept; later commands are quiet and status shows it', async () => {
    const home = await newHome()
    const login = await cli(home, loginArgs(), NO_BUS)
    expect(login.code).toBe(0)
    expect(login.stderr).toContain(`No OS keychain here (no Secret Service on the session bus); tickets are kept in ${join(home, 'sessions')}, mode 0600.`)
    expect(login.stderr).not.toMatch(/zbus|DBus error|Failed to connect/)
    expect(await sessionFiles(home)).toHaveLength(1)

    const env = await cli(home, ['env'], NO_BUS)
    expect(env.code).toBe(0)
    expect(env.stdout).toContain('PROXMOX_VE_AUTH_TICKET=')
    expect(env.stderr).toBe('')

    const status = await cli(home, ['status', '--json'], NO_BUS)
    expect(status.code).toBe(0)
    expect(status.stderr).toBe('')
    expect((JSON.parse(status.stdout) as {store: string}[]).map((entry) => entry.store)).toEqual(['file'])
  })

  test('PVE_LOGIN_DEBUG=1 adds the keychain library\'s own words', async () => {
    const home = await newHome()
    const login = await cli(home, loginArgs(), {...NO_BUS, PVE_LOGIN_DEBUG: '1'})
    expect(login.code).toBe(0)
    expect(login.stderr).toMatch(/debug: the keychain said: no Secret Service: session bus unix:path=\/nonexistent\/pve-login-test-bus: connect ENOENT/)
  })
})

const keychainDescribe = hasPrivateSecretServiceTools() ? describe : describe.skip
keychainDescribe('a real Secret Service', () => {
  let keyring: PrivateSecretService
  beforeAll(async () => {
    keyring = await startSecretService()
  })
  afterAll(async () => {
    await keyring?.stop()
  })

  test('a login keeps the session in the keychain (no file), and later processes read it from there', async () => {
    const home = await newHome()
    const login = await cli(home, loginArgs(), keyring.env)
    expect(login.code).toBe(0)
    expect(login.stderr).toContain('stored in the OS keychain')
    expect(login.stderr).not.toContain('tickets are kept in')
    expect(await sessionFiles(home)).toEqual([])
    const stored = JSON.parse((await keyring.lookup(`alice@cli@${new URL(sandbox.pveUrl).host}`)) ?? '{}') as {ticket?: string}
    expect(stored.ticket).toMatch(/^PVE:alice@cli:/)

    const ticket = await cli(home, ['ticket'], keyring.env)
    expect(ticket.code).toBe(0)
    expect(ticket.stdout.trim()).toBe(stored.ticket)
    const status = await cli(home, ['status', '--json'], keyring.env)
    expect((JSON.parse(status.stdout) as {store: string}[]).map((entry) => entry.store)).toEqual(['keychain'])
  })

  test('a keychain that appears after file-store logins is used again, and the session moves into it', async () => {
    const home = await newHome()
    expect((await cli(home, loginArgs(), NO_BUS)).code).toBe(0)
    expect(await sessionFiles(home)).toHaveLength(1)
    const login = await cli(home, loginArgs(), keyring.env)
    expect(login.code).toBe(0)
    expect(login.stderr).toContain('The OS keychain takes tickets again')
    expect(await sessionFiles(home)).toEqual([])
    const status = await cli(home, ['status', '--json'], keyring.env)
    expect((JSON.parse(status.stdout) as {store: string}[]).map((entry) => entry.store)).toEqual(['keychain'])
  })

  test('frozen (SIGSTOP): env, exec and status end by themselves, with words about the keychain', async () => {
    const home = await newHome()
    expect((await cli(home, loginArgs(), keyring.env)).code).toBe(0)
    keyring.freeze()
    try {
      const options = {killAfterMs: KEYCHAIN_DEADLINE_MS + 5000}
      for (const args of [['env'], ['exec', '--', 'true'], ['status']]) {
        const result = await cli(home, args, keyring.env, options)
        expect({args, signal: result.signal, code: result.code}).toEqual({args, signal: null, code: 3})
        expect(result.stderr).toMatch(/The OS keychain did not answer within 3 s when asked for the session of alice@cli@/)
      }
      const strict = await cli(home, ['env', '--store', 'keychain'], keyring.env, options)
      expect({signal: strict.signal, code: strict.code}).toEqual({signal: null, code: 1})
      expect(strict.stderr).toContain('The OS keychain did not answer within 3 s.')
    } finally {
      keyring.thaw()
    }
  })

  test('a login while the keychain is frozen keeps the ticket in a file, and env and exec use it without asking the keychain', async () => {
    const home = await newHome()
    keyring.freeze()
    try {
      const login = await cli(home, loginArgs(), keyring.env, {killAfterMs: KEYCHAIN_DEADLINE_MS + 20_000})
      expect(login.code).toBe(0)
      expect(login.stderr).toContain(`The OS keychain did not answer within 3 s; tickets are kept in ${join(home, 'sessions')}, mode 0600.`)
      const env = await cli(home, ['env'], keyring.env, {killAfterMs: KEYCHAIN_DEADLINE_MS + 5000})
      expect(env.code).toBe(0)
      expect(env.stderr).toBe('')
      const exec = await cli(home, ['exec', '--', 'sh', '-c', 'test -n "$PROXMOX_VE_AUTH_TICKET"'], keyring.env, {killAfterMs: KEYCHAIN_DEADLINE_MS + 5000})
      expect({code: exec.code, stderr: exec.stderr}).toEqual({code: 0, stderr: ''})
    } finally {
      keyring.thaw()
    }
  })

  test('a locked collection (reads work, writes refused): the login keeps the session in a file and env finds it', async () => {
    const home = await newHome()
    await keyring.lock()
    const login = await cli(home, loginArgs(), keyring.env)
    expect(login.code).toBe(0)
    expect(login.stderr).toContain('The OS keychain can be read but refused to store the ticket')
    expect(await sessionFiles(home)).toHaveLength(1)
    const env = await cli(home, ['env'], keyring.env)
    expect(env.code).toBe(0)
    expect(env.stdout).toContain('PROXMOX_VE_AUTH_TICKET=')
    const index = JSON.parse(await readFile(join(home, 'keychain.json'), 'utf8')) as {verdict: string}
    expect(index.verdict).toBe('refuses-writes')
  })
})
