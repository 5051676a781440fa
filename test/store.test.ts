import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readdir, rename, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, test} from '@jest/globals'

import type {SessionRecord} from '../src/session/session-record.js'
import {FileStore} from '../src/store/file-store.js'
import {openStore, sessionsDirectory} from '../src/store/open-store.js'
import {unixSocketPath} from '../src/store/session-bus.js'
import {findSession, sessionAccount} from '../src/store/ticket-store.js'
import {hasHungSecretServiceTools, hasSecretService} from './helpers/capabilities.js'

const run = promisify(execFile)
const probe = join(import.meta.dirname, 'fixtures', 'store-probe.ts')

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    server: 'https://pve.example:8006',
    realm: 'cli',
    username: 'alice@cli',
    ticket: 'PVE:alice@cli:6650A1B2::c2lnbmF0dXJl',
    csrfToken: '6650A1B2:abc',
    issuedAt: '2024-05-24T14:20:02.000Z',
    ...overrides,
  }
}

let home: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'pve-login-store-'))
})
afterEach(async () => {
  await rm(home, {recursive: true, force: true})
})

describe('file store', () => {
  test('round-trips sessions in owner-only files and leaves no temporary files', async () => {
    const store = new FileStore(sessionsDirectory(home))
    await store.save(record())
    await store.save(record({username: "o'brien@cli", realm: 'cli'}))
    const listing = await store.list()
    expect(listing.records.map((r) => r.username).sort()).toEqual(['alice@cli', "o'brien@cli"])
    const names = await readdir(sessionsDirectory(home))
    expect(names.every((name) => name.endsWith('.json'))).toBe(true)
    expect((await stat(join(sessionsDirectory(home), names[0]!))).mode & 0o777).toBe(0o600)
    expect((await stat(sessionsDirectory(home))).mode & 0o777).toBe(0o700)
  })

  test('reports a corrupt entry by account instead of failing, and a later save replaces it', async () => {
    const store = new FileStore(sessionsDirectory(home))
    await store.save(record())
    const account = sessionAccount(record())
    await writeFile(join(sessionsDirectory(home), encodeURIComponent(account) + '.json'), '{"server": tru')
    expect(await store.list()).toEqual({records: [], corrupt: [account], stray: []})
    await store.save(record())
    expect((await store.list()).corrupt).toEqual([])
  })

  // The one check of a stored session: whatever the store hands out, formatters use without checking again.
  test.each([
    ['a server that is not a URL', {server: 'not a url'}],
    ['an issue time that is not a date', {issuedAt: 'yesterday'}],
    ['an empty ticket', {ticket: ''}],
    ['a cluster name that is not text', {clusterName: 7}],
  ])('an entry with %s is listed as corrupt, never as a session', async (_what, damage) => {
    const store = new FileStore(sessionsDirectory(home))
    await store.save(record())
    const account = sessionAccount(record())
    await writeFile(join(sessionsDirectory(home), encodeURIComponent(account) + '.json'), JSON.stringify({...record(), ...damage}))
    expect(await store.list()).toEqual({records: [], corrupt: [account], stray: []})
  })

  test('remove deletes one account and says whether it existed', async () => {
    const store = new FileStore(sessionsDirectory(home))
    await store.save(record())
    expect(await store.remove(sessionAccount(record()))).toBe(true)
    expect(await store.remove(sessionAccount(record()))).toBe(false)
    expect((await store.list()).records).toEqual([])
  })

  test('skips entries it did not write (a folder named x.json, a badly encoded name, a symlink) and says which', async () => {
    const store = new FileStore(sessionsDirectory(home))
    await store.save(record())
    await mkdir(join(sessionsDirectory(home), 'x.json'))
    await writeFile(join(sessionsDirectory(home), '%E0%A4%A.json'), '{}')
    await symlink('/etc/passwd', join(sessionsDirectory(home), 'link.json'))
    const listing = await store.list()
    expect(listing.records.map((r) => r.username)).toEqual(['alice@cli'])
    expect(listing.stray).toEqual(['"%E0%A4%A.json" (not a name pve-login writes)', '"link.json" (a symbolic link (not followed))', '"x.json" (a folder, not a file)'])
    expect(await store.remove('x')).toBe(false)
  })

  test('findSession picks the freshest session of the server and realm', () => {
    const older = record({issuedAt: '2024-05-24T10:00:00.000Z', username: 'bob@cli'})
    const newer = record({issuedAt: '2024-05-24T12:00:00.000Z'})
    const otherRealm = record({realm: 'ui', issuedAt: '2024-05-24T13:00:00.000Z'})
    expect(findSession({records: [older, otherRealm, newer], corrupt: []}, {server: newer.server, realm: 'cli'})).toBe(newer)
  })

  test('two logins within one second (tickets carry whole seconds): the later browser login is the fresher', () => {
    const issuedAt = '2024-05-24T12:00:00.000Z'
    const first = record({issuedAt, loginAt: '2024-05-24T12:00:00.120Z', username: 'alice@cli'})
    const second = record({issuedAt, loginAt: '2024-05-24T12:00:00.870Z', username: 'bob@cli'})
    const key = {server: first.server, realm: 'cli'}
    expect(findSession({records: [first, second], corrupt: []}, key)).toBe(second)
    expect(findSession({records: [second, first], corrupt: []}, key)).toBe(second)
  })
})

describe('the session bus address the Secret Service ping connects to', () => {
  test('a path, an abstract socket, the first unix transport of a list, percent-escapes; nothing else', () => {
    expect(unixSocketPath('unix:path=/run/user/1000/bus')).toBe('/run/user/1000/bus')
    expect(unixSocketPath('unix:abstract=/tmp/dbus-x,guid=ab12')).toBe('\0/tmp/dbus-x')
    expect(unixSocketPath('tcp:host=127.0.0.1,port=1;unix:path=/tmp/a%20b')).toBe('/tmp/a b')
    expect(unixSocketPath('tcp:host=127.0.0.1,port=1')).toBeUndefined()
    expect(unixSocketPath(undefined)).toBeUndefined()
  })
})

describe('keychain store (real Secret Service)', () => {
  const available = hasSecretService()
  const keychainTest = available ? test : test.skip

  keychainTest('round-trips a session through the Secret Service under service pve-login', async () => {
    const store = openStore({choice: 'keychain', stateDir: home})
    const mine = record({server: `https://store-test-${process.pid}.example:8006`})
    await store.save(mine)
    try {
      const found = findSession(await store.find({server: mine.server, realm: 'cli'}), {server: mine.server, realm: 'cli'})
      expect(found).toEqual(mine)
      expect(store.kind).toBe('keychain')
      const {stdout} = await run('secret-tool', ['lookup', 'service', 'pve-login', 'username', sessionAccount(mine)])
      expect(JSON.parse(stdout)).toEqual(mine)
    } finally {
      expect(await store.remove(sessionAccount(mine))).toBe(true)
    }
  })

  keychainTest('a keychain session indexed by an earlier build (SHA-256 file names) is still found, and its entry moves to the current name', async () => {
    const mine = record({server: `https://store-legacy-${process.pid}.example:8006`})
    const key = {server: mine.server, realm: 'cli'}
    await openStore({choice: 'keychain', stateDir: home}).save(mine)
    try {
      const [current] = await readdir(join(home, 'index'))
      const legacy = `${createHash('sha256').update(`${mine.server}\n${mine.realm}`).digest('hex').slice(0, 32)}.json`
      expect(current).not.toBe(legacy)
      await rename(join(home, 'index', current!), join(home, 'index', legacy))

      // auto, as everyday commands open it: without the index entry it would look in the file store only.
      expect(findSession(await openStore({stateDir: home}).find(key), key)).toEqual(mine)
      expect(await readdir(join(home, 'index'))).toEqual([current])
    } finally {
      await openStore({choice: 'keychain', stateDir: home}).remove(sessionAccount(mine))
    }
  })
})

describe('store choice in a process of its own', () => {
  const withoutBus = {...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus'}

  test('auto falls back to the file store with one message when there is no D-Bus', async () => {
    const {stdout} = await run(process.execPath, ['--import', 'tsx', probe, 'auto', 'save'], {env: {...withoutBus, PVE_LOGIN_HOME: home}})
    const result = JSON.parse(stdout) as {kind: string; fallbacks: string[]; usernames: string[]}
    expect(result.kind).toBe('file')
    expect(result.fallbacks).toEqual([`No OS keychain here (no Secret Service on the session bus); tickets are kept in ${sessionsDirectory(home)}, mode 0600.`])
    expect(result.usernames).toEqual(["o'brien@cli"])
  })

  test('--store keychain without D-Bus is an error, not a fallback', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', probe, 'keychain', 'save'], {env: {...withoutBus, PVE_LOGIN_HOME: home}}).catch((error: {stdout: string}) => error)
    const result = JSON.parse((failure as {stdout: string}).stdout) as {error: string; fallbacks: string[]}
    expect(result.error).toBe('STORE_UNAVAILABLE')
    expect(result.fallbacks).toEqual([])
  })

  const hungTest = hasHungSecretServiceTools() ? test : test.skip
  hungTest('a Secret Service that never answers costs a bounded wait, then the file store is used, and the process ends by itself', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'hung-secret-service.sh')
    const {stdout} = await run(script, [process.execPath, '--import', 'tsx', probe, 'auto', 'save'], {
      env: {...process.env, PVE_LOGIN_HOME: home, PROBE_KEYCHAIN_TIMEOUT_MS: '500'},
      timeout: 30_000,
    })
    const result = JSON.parse(stdout) as {kind: string; fallbacks: string[]}
    expect(result.kind).toBe('file')
    // Our deadline (500 ms) fires while the keychain thread still waits for D-Bus; the probe does not call
    // process.exit, so getting here at all means nothing pending kept it alive.
    expect(result.fallbacks).toEqual([`The OS keychain did not answer within 0.5 s; tickets are kept in ${sessionsDirectory(home)}, mode 0600.`])
  })

  test('none keeps nothing on disk', async () => {
    const store = openStore({choice: 'none', stateDir: home})
    await store.save(record())
    expect((await store.list()).records).toHaveLength(1)
    expect(await readdir(home)).toEqual([])
  })
})
