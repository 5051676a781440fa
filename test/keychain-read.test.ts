import {execFile} from 'node:child_process'
import {createServer, type Socket} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {KeychainStore, type KeychainOutcome} from '../src/store/keychain-store.js'
import {hasPrivateSecretServiceTools} from './helpers/capabilities.js'
import {cleanEnv, makeTempDir, removeDir, REPOSITORY_ROOT} from './helpers/cli.js'
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

/**
 * A session bus that does not speak D-Bus properly (a wrong socket in DBUS_SESSION_BUS_ADDRESS, a broken daemon):
 * the read ends with the keychain refused, in words that say so, and never hangs. The deadline is ten minutes
 * here, so an answer at all proves that it was not the deadline that ended the read.
 */
const linuxDescribe = process.platform === 'linux' ? describe : describe.skip
linuxDescribe('a session bus that does not speak D-Bus', () => {
  async function readThrough(answer: (socket: Socket) => void): Promise<KeychainOutcome<string | null>> {
    const directory = await makeTempDir('pve-login-bus-')
    const path = join(directory, 'bus')
    const server = createServer(answer)
    await new Promise<void>((resolve) => server.listen(path, resolve))
    try {
      return await new KeychainStore(600_000, `unix:path=${path}`).get('alice@pve.example:8006')
    } finally {
      server.close()
      await removeDir(directory)
    }
  }

  test('a peer that never ends its authentication line', async () => {
    const outcome = await readThrough((socket) => {
      socket.on('error', () => {})
      socket.write('x'.repeat(10_000))
    })
    expect(outcome).toEqual({kind: 'refused', detail: expect.stringContaining('did not answer the authentication')})
  })

  test('a reply whose array elements take no bytes (an empty struct)', async () => {
    const outcome = await readThrough((socket) => {
      socket.on('error', () => {})
      socket.once('data', () => {
        // A method return to serial 1 (Hello) with the signature a(): the array holds 8 bytes of elements that are
        // nothing, which would make a naive reader loop for ever.
        const message = Buffer.alloc(56)
        message.write('l', 0, 'latin1')
        message[1] = 2
        message[3] = 1
        message.writeUInt32LE(16, 4) // body length
        message.writeUInt32LE(1, 8) // serial
        message.writeUInt32LE(17, 12) // header fields length
        Buffer.from([5, 1, 0x75, 0, 1, 0, 0, 0]).copy(message, 16) // reply serial (u) 1
        Buffer.from([8, 1, 0x67, 0, 3, 0x61, 0x28, 0x29, 0]).copy(message, 24) // signature (g) a()
        message.writeUInt32LE(8, 40) // the array's length; its elements start at 48
        socket.write(Buffer.concat([Buffer.from('OK 0123456789abcdef0123456789abcdef\r\n'), message]))
      })
    })
    expect(outcome).toEqual({kind: 'refused', detail: expect.stringContaining('whose elements take no bytes')})
  })
})
