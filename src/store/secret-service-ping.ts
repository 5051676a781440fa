/**
 * Does a Secret Service answer on the session bus right now? One D-Bus Peer.Ping to org.freedesktop.secrets,
 * spoken from JavaScript on the event loop, so that a frozen service costs exactly the deadline and nothing is
 * left pending afterwards (the socket is simply closed). The keychain addon's own calls cannot be walked away
 * from (see src/store/keychain-store.ts); this ping is what lets pve-login walk away before making one.
 *
 * The wire format is D-Bus's (https://dbus.freedesktop.org/doc/dbus-specification.html): SASL EXTERNAL
 * authentication, then little-endian method calls (Hello, which every connection must send first, then Ping).
 */

export interface PingResult {
  status: 'answers' | 'absent' | 'no answer'
  /** Why it is absent, in the words of the socket or the bus (for --debug). */
  detail?: string
}

const HELLO_SERIAL = 1
const PING_SERIAL = 2

/** Field codes of the message header (D-Bus specification, "Header Fields"). */
const FIELD = {path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6} as const

export function pingSecretService(address: string | undefined, timeoutMs: number): Promise<PingResult> {
  const socketPath = unixSocketPath(address)
  if (socketPath === undefined) {
    return Promise.resolve({status: 'absent', detail: address ? `no unix: transport in the session bus address ${address}` : 'DBUS_SESSION_BUS_ADDRESS is not set'})
  }
  return new Promise((resolve) => {
    // node:net on use: the file store's cached `env` imports this module but never pings.
    const socket = process.getBuiltinModule('node:net').createConnection({path: socketPath})
    let settled = false
    const done = (status: PingResult['status'], detail?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(detail === undefined ? {status} : {status, detail})
    }
    const timer = setTimeout(() => done('no answer'), timeoutMs)
    timer.unref()
    socket.once('error', (error) => done('absent', `session bus ${address}: ${error.message}`))
    socket.once('close', () => done('absent', `the session bus ${address} closed the connection`))
    socket.once('connect', () => {
      const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0'
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)
    })
    let authenticated = false
    let buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!authenticated) {
        const end = buffer.indexOf('\r\n')
        if (end < 0) return
        const line = buffer.subarray(0, end).toString('latin1')
        buffer = buffer.subarray(end + 2)
        if (!line.startsWith('OK ')) return done('absent', `the session bus ${address} refused the authentication: ${line}`)
        authenticated = true
        socket.write(
          Buffer.concat([
            Buffer.from('BEGIN\r\n'),
            methodCall(HELLO_SERIAL, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello', 'org.freedesktop.DBus'),
            methodCall(PING_SERIAL, '/org/freedesktop/secrets', 'org.freedesktop.DBus.Peer', 'Ping', 'org.freedesktop.secrets'),
          ]),
        )
      }
      for (;;) {
        const message = nextMessage(buffer)
        if (!message) return
        buffer = buffer.subarray(message.length)
        if (message.replySerial !== PING_SERIAL) continue
        // 2: method return; 3: error. An error from the bus itself (no such name, activation failed) means absent;
        // any other error (the peer lacks Peer.Ping) still proves something answered.
        if (message.type === 2) return done('answers')
        if (message.type === 3) {
          const name = message.errorName ?? ''
          return /ServiceUnknown|NameHasNoOwner|Spawn\./.test(name) ? done('absent', `${name} for org.freedesktop.secrets on ${address}`) : done('answers')
        }
      }
    })
  })
}

/** The socket of a `unix:path=…` or `unix:abstract=…` address (the first one of a `;` list); undefined otherwise. */
export function unixSocketPath(address: string | undefined): string | undefined {
  for (const entry of (address ?? '').split(';')) {
    if (!entry.startsWith('unix:')) continue
    const keys = new Map(entry.slice('unix:'.length).split(',').map((pair) => {
      const equals = pair.indexOf('=')
      return [pair.slice(0, equals), decodeURIComponent(pair.slice(equals + 1))] as const
    }))
    if (keys.has('path')) return keys.get('path')
    if (keys.has('abstract')) return `\0${keys.get('abstract')}`
  }
  return undefined
}

function methodCall(serial: number, path: string, iface: string, member: string, destination: string): Buffer {
  const fields: Buffer[] = []
  let length = 0
  const field = (code: number, signature: 'o' | 's', value: string) => {
    const padding = (8 - (length % 8)) % 8
    const text = Buffer.from(value, 'utf8')
    const entry = Buffer.alloc(padding + 4 + 4 + text.length + 1)
    entry[padding] = code
    entry[padding + 1] = 1
    entry[padding + 2] = signature.charCodeAt(0)
    entry.writeUInt32LE(text.length, padding + 4)
    text.copy(entry, padding + 8)
    fields.push(entry)
    length += entry.length
  }
  field(FIELD.path, 'o', path)
  field(FIELD.interface, 's', iface)
  field(FIELD.member, 's', member)
  field(FIELD.destination, 's', destination)
  const header = Buffer.alloc(16)
  header.write('l', 0, 'latin1')
  header[1] = 1 // method call
  header[2] = 0 // flags: a reply is expected, and a service may be started for it (as libsecret allows)
  header[3] = 1 // protocol version
  header.writeUInt32LE(0, 4) // body length
  header.writeUInt32LE(serial, 8)
  header.writeUInt32LE(length, 12)
  return Buffer.concat([header, ...fields, Buffer.alloc((8 - (length % 8)) % 8)])
}

interface Message {
  length: number
  type: number
  replySerial?: number
  errorName?: string
}

/** The first whole message in `buffer`, with the header fields a ping needs; undefined until it has arrived. */
function nextMessage(buffer: Buffer): Message | undefined {
  if (buffer.length < 16) return undefined
  const little = buffer[0] === 0x6c
  const u32 = (offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset))
  const bodyLength = u32(4)
  const fieldsLength = u32(12)
  const headerLength = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8)
  const total = headerLength + bodyLength
  if (buffer.length < total) return undefined
  const message: Message = {length: total, type: buffer[1]!}
  let offset = 16
  const align = (to: number) => (offset += (to - (offset % to)) % to)
  while (offset < 16 + fieldsLength) {
    align(8)
    const code = buffer[offset]!
    const signatureLength = buffer[offset + 1]!
    const signature = buffer.toString('latin1', offset + 2, offset + 2 + signatureLength)
    offset += 2 + signatureLength + 1
    if (signature === 'u') {
      align(4)
      if (code === FIELD.replySerial) message.replySerial = u32(offset)
      offset += 4
    } else if (signature === 's' || signature === 'o') {
      align(4)
      const size = u32(offset)
      if (code === FIELD.errorName) message.errorName = buffer.toString('utf8', offset + 4, offset + 4 + size)
      offset += 4 + size + 1
    } else if (signature === 'g') {
      offset += 1 + buffer[offset]! + 1
    } else if (signature === 'y') {
      offset += 1
    } else {
      break
    }
  }
  return message
}
