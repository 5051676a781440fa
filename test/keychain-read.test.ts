import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {KeychainStore, type KeychainOutcome} from '../src/store/keychain-store.js'
import {hasPrivateSecretServiceTools} from './helpers/capabilities.js'
import {cleanEnv, REPOSITORY_ROOT} from './helpers/cli.js'
import {startSecretService, type PrivateSecretService} from './helpers/secret-service.js'

const run = promisify(execFile)

/**
 * On Linux a cached session is read from the Secret Service by pve-login's own D-Bus client (src/store/secret-service.ts),
 * not by the keychain addon. Against a real, private gnome-keyring: it reads what other clients stored, byte for
 * byte; it leaves to the addon what only the addon answers, whose answer is then the same as before; and it never
 * brings the daemon down.
 */
const keychainDescribe = process.platform === 'linux' && hasPrivateSecretServiceTools() ? describe : describe.skip
keychainDescribe('reading a session from a real Secret Service', () => {
  let keyring: PrivateSecretService
  let store: KeychainStore
  beforeAll(async () => {
    keyring = await startSecretService()
    store = new KeychainStore(3000, keyring.env.DBUS_SESSION_BUS_ADDRESS)
  })
  afterAll(async () => {
    await keyring?.stop()
  })

  /**
   * Runs `body` (with `store`, the built KeychainStore) in a process of its own on the private bus: the addon reads
   * its bus from the real environment, which a test's process.env does not reach.
   */
  async function inProcessOnTheBus(body: string): Promise<unknown> {
    const module = join(REPOSITORY_ROOT, 'dist', 'store', 'keychain-store.js')
    const script = `import {KeychainStore} from ${JSON.stringify(module)}\nconst store = new KeychainStore(3000, process.env.DBUS_SESSION_BUS_ADDRESS)\nprocess.stdout.write(JSON.stringify(await (async () => {${body}})()))`
    const {stdout} = await run(process.execPath, ['--input-type=module', '-e', script], {env: cleanEnv(keyring.env), maxBuffer: 8 * 1024 * 1024})
    return JSON.parse(stdout)
  }

  function summary(outcome: KeychainOutcome<string | null>): {kind: string; length?: number; detail?: string} {
    return outcome.kind === 'answer' ? {kind: 'answer', length: outcome.value?.length} : outcome.kind === 'refused' ? {kind: 'refused', detail: outcome.detail} : {kind: outcome.kind}
  }

  test('what another client stored under service pve-login reads byte for byte; an account without an item reads as none', async () => {
    const secret = '{"ticket":"PVE:ålice@cli:…","note":"ünïcødé ✓ 🔑"}'
    await keyring.store({service: 'pve-login', username: 'other-client@pve.example:8006'}, secret)
    expect(await store.get('other-client@pve.example:8006')).toEqual({kind: 'answer', value: secret})
    expect(await store.get('nobody@pve.example:8006')).toEqual({kind: 'answer', value: null})
  })

  test('a secret the addon stored, larger than one socket read, reads back whole', async () => {
    const large = JSON.stringify({ticket: 'x'.repeat(200_000), note: 'ü'})
    expect(await inProcessOnTheBus(`return store.set('large@pve.example:8006', JSON.stringify({ticket: 'x'.repeat(200_000), note: 'ü'}))`)).toEqual({kind: 'answer', value: null})
    const outcome = await store.get('large@pve.example:8006')
    expect(summary(outcome)).toEqual({kind: 'answer', length: large.length})
    expect(outcome.kind === 'answer' && outcome.value === large).toBe(true)
  })

  test('two items that match are the addon\'s to answer: it refuses, naming the ambiguity, as it did before', async () => {
    await keyring.store({service: 'pve-login', username: 'twice@pve.example:8006'}, 'one')
    await keyring.store({service: 'pve-login', username: 'twice@pve.example:8006', copy: 'second'}, 'two')
    const outcome = (await inProcessOnTheBus(`return store.get('twice@pve.example:8006')`)) as KeychainOutcome<string | null>
    expect(summary(outcome)).toEqual({kind: 'refused', detail: expect.stringContaining('matched by 2 credentials')})
  })

  test('a secret that is not UTF-8 is the addon\'s to answer too: it refuses it rather than mangling it', async () => {
    await keyring.store({service: 'pve-login', username: 'binary@pve.example:8006'}, Buffer.from([0xff, 0xfe, 0x00, 0x41]))
    const outcome = (await inProcessOnTheBus(`return store.get('binary@pve.example:8006')`)) as KeychainOutcome<string | null>
    expect(summary(outcome)).toEqual({kind: 'refused', detail: expect.stringContaining('not valid UTF-8')})
  })

  test('hundreds of reads in a row, each on a fresh connection, leave gnome-keyring running', async () => {
    // gnome-keyring 42 refuses a call, or aborts on a session request, that comes in one burst with a client's
    // first messages (src/store/secret-service.ts, src/store/session-bus.ts): a refusal would show here as the
    // addon's answer (which cannot reach this private bus), an abort as a daemon that is gone.
    await keyring.store({service: 'pve-login', username: 'often@pve.example:8006'}, 'often')
    for (let read = 0; read < 300; read++) {
      const fresh = new KeychainStore(3000, keyring.env.DBUS_SESSION_BUS_ADDRESS)
      expect(await fresh.get('often@pve.example:8006')).toEqual({kind: 'answer', value: 'often'})
    }
    expect(keyring.running()).toBe(true)
  })
})
