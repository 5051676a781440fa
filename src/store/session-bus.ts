import type {Socket} from 'node:net'

import {encodeMethodCall, MESSAGE_TYPE, nextMessage, type DbusArgument, type DbusMessage} from './dbus-wire.js'

/**
 * A short conversation with the D-Bus session bus, spoken from JavaScript on the event loop: every call is bounded
 * by one deadline for the whole conversation, and walking away leaves nothing pending (the socket is simply
 * closed). The keychain addon's calls cannot be walked away from (see src/store/keychain-store.ts); this can.
 *
 * The authentication (SASL EXTERNAL), BEGIN and the Hello every connection must send first go out in one write,
 * without waiting for the server's OK: the specification's BEGIN command allows a client to pipeline the
 * authentication (https://dbus.freedesktop.org/doc/dbus-specification.html, "Authentication protocol"), as systemd's
 * sd-bus does. Calls to other peers wait for Hello's reply: gnome-keyring (42) now and then refused a call that came
 * in one burst with the connection's Hello (UnknownMethod, about once in 2000; never in 9000 sent after the reply).
 */

const MAX_AUTH_LINE_BYTES = 4096

/** The bus itself, as a destination and an interface. */
const BUS_NAME = 'org.freedesktop.DBus'

/** Why a conversation ended without an answer: nothing on the address, or no answer before the deadline. */
export class SessionBusError extends Error {
  constructor(
    readonly reason: 'absent' | 'no answer',
    message: string,
  ) {
    super(message)
  }
}

/** A method's reply: its return values, or the D-Bus error it raised (an answer too: something answered). */
export type BusReply = {kind: 'return'; body: unknown[]} | {kind: 'error'; name: string; body: unknown[]}

export interface BusCall {
  destination: string
  path: string
  interface: string
  member: string
  args?: DbusArgument[]
}

export class SessionBusConversation {
  private readonly socket: Socket | undefined
  private readonly pending = new Map<number, {resolve: (reply: BusReply) => void; reject: (error: SessionBusError) => void}>()
  private readonly timer: NodeJS.Timeout
  private nextSerial = 1
  private buffer: Buffer = Buffer.alloc(0)
  private authenticated = false
  private ended: SessionBusError | undefined
  /** What goes out once the socket connects: all of it in one write. */
  private unsent: Buffer[] = []
  /** Settles with the bus's reply to Hello. */
  private readonly hello: Promise<BusReply> | undefined

  /**
   * Connects to the bus at `address` (a `unix:path=…` or `unix:abstract=…` address) and says Hello; every call
   * made before `timeoutMs` has passed is answered or rejected by then.
   */
  constructor(
    private readonly address: string | undefined,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.end(new SessionBusError('no answer', `no answer on the session bus ${address} within ${timeoutMs} ms`)), timeoutMs)
    this.timer.unref()
    const socketPath = unixSocketPath(address)
    if (socketPath === undefined) {
      this.socket = undefined
      this.hello = undefined
      this.end(new SessionBusError('absent', address ? `no unix: transport in the session bus address ${address}` : 'DBUS_SESSION_BUS_ADDRESS is not set'))
      return
    }
    // node:net on use: the file store's cached `env` loads this module but never talks to the bus.
    const socket = process.getBuiltinModule('node:net').createConnection({path: socketPath})
    this.socket = socket
    const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0'
    this.unsent.push(Buffer.from(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\nBEGIN\r\n`, 'latin1'))
    this.hello = this.send({destination: BUS_NAME, path: '/org/freedesktop/DBus', interface: BUS_NAME, member: 'Hello'})
    this.hello.catch(() => {})
    socket.once('connect', () => {
      socket.write(Buffer.concat(this.unsent))
      this.unsent = []
    })
    socket.on('error', (error) => this.end(new SessionBusError('absent', `session bus ${address}: ${error.message}`)))
    socket.once('close', () => this.end(new SessionBusError('absent', `the session bus ${address} closed the connection`)))
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
  }

  /** Calls a method; resolves with its reply, rejects with SessionBusError when the bus or the deadline ends it first. */
  async call(call: BusCall): Promise<BusReply> {
    if (call.destination !== BUS_NAME) await this.hello
    return this.send(call)
  }

  /** Closes the connection; calls still waiting are rejected. */
  close(): void {
    this.end(new SessionBusError('absent', 'the conversation with the session bus was closed'), {graceful: true})
  }

  private send(call: BusCall): Promise<BusReply> {
    if (this.ended) return Promise.reject(this.ended)
    const serial = this.nextSerial++
    return new Promise<BusReply>((resolve, reject) => {
      this.pending.set(serial, {resolve, reject})
      const bytes = encodeMethodCall({...call, serial})
      if (this.unsent.length > 0 || this.socket!.connecting) this.unsent.push(bytes)
      else this.socket!.write(bytes)
    })
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    if (!this.authenticated) {
      const end = this.buffer.indexOf('\r\n')
      if (end < 0) {
        // An authentication line is a few dozen bytes: this is not a D-Bus server.
        if (this.buffer.length > MAX_AUTH_LINE_BYTES) this.end(new SessionBusError('absent', `the session bus ${this.address} did not answer the authentication`))
        return
      }
      const line = this.buffer.subarray(0, end).toString('latin1')
      this.buffer = this.buffer.subarray(end + 2)
      // Anything but OK (REJECTED): the bus drops what was pipelined after it.
      if (!line.startsWith('OK ')) return this.end(new SessionBusError('absent', `the session bus ${this.address} refused the authentication: ${line}`))
      this.authenticated = true
    }
    for (;;) {
      let message: DbusMessage | undefined
      try {
        message = nextMessage(this.buffer)
      } catch (error) {
        return this.end(new SessionBusError('absent', `the session bus ${this.address} sent what is not D-Bus: ${(error as Error).message}`))
      }
      if (!message) return
      this.buffer = this.buffer.subarray(message.length)
      const waiting = message.replySerial === undefined ? undefined : this.pending.get(message.replySerial)
      if (!waiting) continue
      this.pending.delete(message.replySerial!)
      if (message.type === MESSAGE_TYPE.methodReturn) waiting.resolve({kind: 'return', body: message.body})
      else if (message.type === MESSAGE_TYPE.error) waiting.resolve({kind: 'error', name: message.errorName ?? '', body: message.body})
    }
  }

  private end(reason: SessionBusError, {graceful = false} = {}): void {
    if (this.ended) return
    this.ended = reason
    clearTimeout(this.timer)
    // A conversation that is over half-closes, and the socket goes when the bus closes its side, keeping no process
    // running meanwhile: a cached `pve-login env` has written its answer and exited by then (Node's destroy() of a
    // socket builds process.stderr, ~0.3 ms). One the bus failed or went silent on goes at once.
    if (graceful && this.pending.size === 0) this.socket?.end().unref()
    else this.socket?.destroy()
    for (const {reject} of this.pending.values()) reject(reason)
    this.pending.clear()
  }
}

/** The socket of a `unix:path=…` or `unix:abstract=…` address (the first one of a `;` list); undefined otherwise. */
export function unixSocketPath(address: string | undefined): string | undefined {
  for (const entry of (address ?? '').split(';')) {
    if (!entry.startsWith('unix:')) continue
    const keys = new Map(
      entry
        .slice('unix:'.length)
        .split(',')
        .map((pair) => {
          const equals = pair.indexOf('=')
          return [pair.slice(0, equals), decodeURIComponent(pair.slice(equals + 1))] as const
        }),
    )
    if (keys.has('path')) return keys.get('path')
    if (keys.has('abstract')) return `\0${keys.get('abstract')}`
  }
  return undefined
}
