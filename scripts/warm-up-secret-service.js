// A stand-in Secret Service for the code-cache warm-up (scripts/code-cache.js), on a unix socket of its own: it
// answers the calls a cached `pve-login env` makes on Linux (Hello, OpenSession "plain", SearchItems, GetSecret;
// src/store/secret-service.ts) for the secrets it is given, so that V8's cache holds the keychain path's compiled
// code as well as the file store's. Build-time only; the tests talk to a real gnome-keyring.
import {createServer} from 'node:net'

import {encodeMessage, MESSAGE_TYPE, nextMessage} from '../dist/store/dbus-wire.js'

const ITEM_PREFIX = '/org/freedesktop/secrets/collection/warm-up/'
const SESSION = '/org/freedesktop/secrets/session/warm-up'

/** Serves `secrets` (username → secret, service pve-login) on `socketPath`; resolves with a function that stops it. */
export async function startWarmUpSecretService(socketPath, secrets) {
  const usernames = [...secrets.keys()]
  const answer = (call) => {
    switch (call.member) {
      case 'Hello':
        return [{type: 's', value: ':1.1'}]
      case 'OpenSession':
        return [{type: 'v', value: {type: 's', value: ''}}, {type: 'o', value: SESSION}]
      case 'SearchItems': {
        const [attributes] = call.body
        const found = attributes.find(([key]) => key === 'username')?.[1]
        const paths = usernames.includes(found) ? [`${ITEM_PREFIX}${usernames.indexOf(found)}`] : []
        return [{type: 'ao', value: paths}, {type: 'ao', value: []}]
      }
      case 'GetSecret': {
        const secret = secrets.get(usernames[Number(call.path.slice(ITEM_PREFIX.length))])
        const value = [{type: 'o', value: SESSION}, {type: 'ay', value: Buffer.alloc(0)}, {type: 'ay', value: Buffer.from(secret, 'utf8')}, {type: 's', value: 'text/plain'}]
        return [{type: 'struct', value}]
      }
      default:
        return []
    }
  }
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0)
    let authenticated = false
    let serial = 1
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!authenticated) {
        const begin = buffer.indexOf('BEGIN\r\n')
        if (begin < 0) return
        buffer = buffer.subarray(begin + 'BEGIN\r\n'.length)
        authenticated = true
        socket.write('OK 00000000000000000000000000000000\r\n')
      }
      for (let call = nextMessage(buffer); call; call = nextMessage(buffer)) {
        buffer = buffer.subarray(call.length)
        socket.write(encodeMessage({type: MESSAGE_TYPE.methodReturn, serial: serial++, replySerial: call.serial, args: answer(call)}))
      }
    })
    socket.on('error', () => {})
  })
  await new Promise((resolve, reject) => server.once('error', reject).listen(socketPath, resolve))
  return () => new Promise((resolve) => server.close(resolve))
}
