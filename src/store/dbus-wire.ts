/**
 * The D-Bus wire format (https://dbus.freedesktop.org/doc/dbus-specification.html, "Message Protocol"), as much of
 * it as pve-login speaks: method calls (and, for the build's stand-in service, replies) with the argument types of
 * DbusArgument, and messages of any signature read back (an `ay` as a Buffer). Little-endian out; either byte order in.
 */

export const MESSAGE_TYPE = {methodCall: 1, methodReturn: 2, error: 3, signal: 4} as const
/** Header flag: the caller wants no reply (the bus then sends none, not even an error). */
export const NO_REPLY_EXPECTED = 0x1

/** Header field codes ("Header Fields"). */
const FIELD = {path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, signature: 8} as const

/** A value to send, with its D-Bus type. */
export type DbusArgument =
  | {type: 's' | 'o'; value: string}
  | {type: 'v'; value: DbusArgument}
  | {type: 'ay'; value: Buffer}
  | {type: 'ao'; value: string[]}
  /** A string-to-string dictionary. */
  | {type: 'a{ss}'; value: Record<string, string>}
  | {type: 'struct'; value: DbusArgument[]}

/** A message to send: a method call, or (for a stand-in service) a method's reply. */
export interface OutgoingMessage {
  type: (typeof MESSAGE_TYPE)['methodCall' | 'methodReturn']
  serial: number
  flags?: number
  /** For a reply: the serial of the call it answers. */
  replySerial?: number
  destination?: string
  path?: string
  interface?: string
  member?: string
  args?: DbusArgument[]
}

/** A received message: its kind, the serial it answers, and its body read by its signature. */
export interface DbusMessage {
  /** Bytes the message took in the stream. */
  length: number
  type: number
  serial: number
  replySerial?: number
  path?: string
  member?: string
  errorName?: string
  body: unknown[]
}

/** A message that does not follow the specification: the connection cannot be read any further. */
export class DbusWireError extends Error {}

/** Grows as it is written; alignment is from the start, as the specification counts it from a message's start. */
class Writer {
  private bytes = Buffer.alloc(256)
  length = 0

  private reserve(count: number): void {
    if (this.length + count <= this.bytes.length) return
    const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.length + count))
    this.bytes.copy(grown, 0, 0, this.length)
    this.bytes = grown
  }

  align(boundary: number): void {
    const padding = (boundary - (this.length % boundary)) % boundary
    this.reserve(padding)
    this.bytes.fill(0, this.length, this.length + padding)
    this.length += padding
  }

  byte(value: number): void {
    this.reserve(1)
    this.bytes[this.length++] = value
  }

  uint32(value: number): void {
    this.align(4)
    this.reserve(4)
    this.bytes.writeUInt32LE(value, this.length)
    this.length += 4
  }

  /** Writes a uint32 placeholder and returns where it is, for patch(). */
  placeholder(): number {
    this.uint32(0)
    return this.length - 4
  }

  patch(at: number, value: number): void {
    this.bytes.writeUInt32LE(value, at)
  }

  /** s and o: length, UTF-8 bytes, NUL. */
  string(value: string): void {
    const text = Buffer.from(value, 'utf8')
    this.uint32(text.length)
    this.raw(text)
    this.byte(0)
  }

  /** g: one-byte length, bytes, NUL. */
  signature(value: string): void {
    this.byte(value.length)
    this.raw(Buffer.from(value, 'latin1'))
    this.byte(0)
  }

  raw(bytes: Buffer): void {
    this.reserve(bytes.length)
    bytes.copy(this.bytes, this.length)
    this.length += bytes.length
  }

  /** An array of `alignment`-aligned elements, each written by `writeElement`. */
  array(alignment: number, writeElements: () => void): void {
    const lengthAt = this.placeholder()
    // The padding before the first element is not part of the array's length.
    this.align(alignment)
    const start = this.length
    writeElements()
    this.patch(lengthAt, this.length - start)
  }

  done(): Buffer {
    return this.bytes.subarray(0, this.length)
  }
}

function writeArgument(writer: Writer, argument: DbusArgument): void {
  switch (argument.type) {
    case 's':
    case 'o':
      writer.string(argument.value)
      return
    case 'v':
      writer.signature(signatureOf(argument.value))
      writeArgument(writer, argument.value)
      return
    case 'ay':
      writer.array(1, () => writer.raw(argument.value))
      return
    case 'ao':
      writer.array(4, () => argument.value.forEach((path) => writer.string(path)))
      return
    case 'a{ss}':
      writer.array(8, () => {
        for (const [key, value] of Object.entries(argument.value)) {
          writer.align(8)
          writer.string(key)
          writer.string(value)
        }
      })
      return
    case 'struct':
      writer.align(8)
      argument.value.forEach((field) => writeArgument(writer, field))
  }
}

function signatureOf(argument: DbusArgument): string {
  return argument.type === 'struct' ? `(${argument.value.map(signatureOf).join('')})` : argument.type
}

/** A method call. */
export function encodeMethodCall(call: Omit<OutgoingMessage, 'type' | 'replySerial'> & Required<Pick<OutgoingMessage, 'destination' | 'path' | 'interface' | 'member'>>): Buffer {
  return encodeMessage({...call, type: MESSAGE_TYPE.methodCall})
}

/** A message, ready to write to the bus. */
export function encodeMessage(outgoing: OutgoingMessage): Buffer {
  const args = outgoing.args ?? []
  const body = new Writer()
  for (const argument of args) writeArgument(body, argument)
  const bodyBytes = body.done()

  const message = new Writer()
  message.byte(0x6c) // 'l': little-endian
  message.byte(outgoing.type)
  message.byte(outgoing.flags ?? 0)
  message.byte(1) // protocol version
  message.uint32(bodyBytes.length)
  message.uint32(outgoing.serial)
  const field = (code: number, type: 's' | 'o' | 'g' | 'u', value: string | number | undefined) => {
    if (value === undefined) return
    message.align(8)
    message.byte(code)
    message.signature(type)
    if (type === 'u') message.uint32(value as number)
    else if (type === 'g') message.signature(value as string)
    else message.string(value as string)
  }
  message.array(8, () => {
    field(FIELD.path, 'o', outgoing.path)
    field(FIELD.interface, 's', outgoing.interface)
    field(FIELD.member, 's', outgoing.member)
    field(FIELD.replySerial, 'u', outgoing.replySerial)
    field(FIELD.destination, 's', outgoing.destination)
    if (args.length > 0) field(FIELD.signature, 'g', args.map(signatureOf).join(''))
  })
  message.align(8)
  message.raw(bodyBytes)
  return message.done()
}

type NumberReader = 'Int16' | 'UInt16' | 'Int32' | 'UInt32' | 'BigInt64' | 'BigUInt64' | 'Double'

/** The fixed-size numbers by type code: their size (also their alignment) and Buffer's reader for them. */
const NUMBERS: Partial<Record<string, [size: number, reader: NumberReader]>> = {
  n: [2, 'Int16'],
  q: [2, 'UInt16'],
  i: [4, 'Int32'],
  u: [4, 'UInt32'],
  h: [4, 'UInt32'],
  x: [8, 'BigInt64'],
  t: [8, 'BigUInt64'],
  d: [8, 'Double'],
}

/** Reads values by signature from a message's bytes; offsets are from the message's start (alignment counts from there). */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    private readonly little: boolean,
    private readonly end: number,
  ) {}

  private need(count: number): void {
    if (this.offset + count > this.end) throw new DbusWireError('a D-Bus message ends inside a value')
  }

  align(boundary: number): void {
    this.offset += (boundary - (this.offset % boundary)) % boundary
  }

  uint32(): number {
    return this.number(4, 'UInt32') as number
  }

  /** A fixed-size number, aligned to its size, in the message's byte order. */
  private number(size: number, reader: NumberReader): number | bigint {
    this.align(size)
    this.need(size)
    const value = this.bytes[`read${reader}${this.little ? 'LE' : 'BE'}`](this.offset)
    this.offset += size
    return value
  }

  /** One complete type from `signature` at `at`; returns the value and where the next type starts. */
  value(signature: string, at: number): [unknown, number] {
    const code = signature[at]!
    const number = NUMBERS[code]
    if (number) return [this.number(...number), at + 1]
    switch (code) {
      case 'y':
        this.need(1)
        return [this.bytes[this.offset++], at + 1]
      case 'b':
        return [this.uint32() !== 0, at + 1]
      case 's':
      case 'o': {
        const length = this.uint32()
        this.need(length + 1)
        const value = this.bytes.toString('utf8', this.offset, this.offset + length)
        this.offset += length + 1
        return [value, at + 1]
      }
      case 'g':
        return [this.signature(), at + 1]
      case 'v': {
        const inner = this.signature()
        const [value, next] = this.value(inner, 0)
        if (next !== inner.length) throw new DbusWireError(`a D-Bus variant holds more than one type (${inner})`)
        return [value, at + 1]
      }
      case 'a': {
        const length = this.uint32()
        const elementEnd = completeTypeEnd(signature, at + 1)
        this.align(alignmentOf(signature[at + 1]!))
        const stop = this.offset + length
        if (stop > this.end) throw new DbusWireError('a D-Bus array runs past its message')
        if (signature[at + 1] === 'y') {
          // ay (a secret's bytes): a Buffer of its own, not one number per byte.
          const bytes = Buffer.from(this.bytes.subarray(this.offset, stop))
          this.offset = stop
          return [bytes, elementEnd]
        }
        const items: unknown[] = []
        while (this.offset < stop) {
          const before = this.offset
          items.push(this.value(signature, at + 1)[0])
          // An element that takes no bytes (an empty struct, which the specification forbids) would loop for ever.
          if (this.offset === before) throw new DbusWireError(`a D-Bus array of ${signature.slice(at, elementEnd)} whose elements take no bytes`)
        }
        if (this.offset !== stop) throw new DbusWireError('a D-Bus array whose elements overrun its length')
        return [items, elementEnd]
      }
      case '(':
      case '{': {
        this.align(8)
        const close = code === '(' ? ')' : '}'
        const fields: unknown[] = []
        let next = at + 1
        while (signature[next] !== close) {
          if (next >= signature.length) throw new DbusWireError(`an unclosed ${code} in the D-Bus signature ${signature}`)
          const [value, after] = this.value(signature, next)
          fields.push(value)
          next = after
        }
        return [fields, next + 1]
      }
      default:
        throw new DbusWireError(`the D-Bus type ${JSON.stringify(code)} in ${signature} is not one pve-login reads`)
    }
  }

  private signature(): string {
    this.need(1)
    const length = this.bytes[this.offset]!
    this.need(length + 2)
    const value = this.bytes.toString('latin1', this.offset + 1, this.offset + 1 + length)
    this.offset += length + 2
    return value
  }
}

function alignmentOf(code: string): number {
  switch (code) {
    case 'y':
    case 'g':
    case 'v':
      return 1
    case 'n':
    case 'q':
      return 2
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8
    default:
      return 4
  }
}

/** Where the complete type starting at `at` in `signature` ends (the index after it). */
function completeTypeEnd(signature: string, at: number): number {
  const code = signature[at]
  if (code === 'a') return completeTypeEnd(signature, at + 1)
  if (code !== '(' && code !== '{') return at + 1
  let depth = 0
  for (let index = at; index < signature.length; index++) {
    const character = signature[index]
    if (character === '(' || character === '{') depth++
    if (character === ')' || character === '}') depth--
    if (depth === 0) return index + 1
  }
  throw new DbusWireError(`an unclosed ${code} in the D-Bus signature ${signature}`)
}

/** The largest message the specification allows (2^27 bytes): anything claiming more is not D-Bus. */
const MAX_MESSAGE_BYTES = 134_217_728

/** The first whole message in `buffer`, or undefined until all of it has arrived. */
export function nextMessage(buffer: Buffer): DbusMessage | undefined {
  if (buffer.length < 16) return undefined
  const little = buffer[0] === 0x6c
  if (!little && buffer[0] !== 0x42) throw new DbusWireError('a D-Bus message with an unknown byte order')
  const uint32 = (offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset))
  const bodyLength = uint32(4)
  const fieldsLength = uint32(12)
  const headerLength = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8)
  const length = headerLength + bodyLength
  if (length > MAX_MESSAGE_BYTES) throw new DbusWireError('a D-Bus message larger than the specification allows')
  if (buffer.length < length) return undefined

  const message: DbusMessage = {length, type: buffer[1]!, serial: uint32(8), body: []}
  let signature = ''
  const header = new Reader(buffer, 12, little, 16 + fieldsLength)
  const [fields] = header.value('a(yv)', 0) as [[number, unknown][], number]
  for (const [code, value] of fields) {
    if (code === FIELD.replySerial) message.replySerial = value as number
    else if (code === FIELD.errorName) message.errorName = value as string
    else if (code === FIELD.signature) signature = value as string
    else if (code === FIELD.path) message.path = value as string
    else if (code === FIELD.member) message.member = value as string
  }
  const body = new Reader(buffer, headerLength, little, length)
  for (let at = 0; at < signature.length; ) {
    const [value, next] = body.value(signature, at)
    message.body.push(value)
    at = next
  }
  return message
}
