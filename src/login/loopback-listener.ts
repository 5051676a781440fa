import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import {InvalidInputError, LoginInterceptedError, PortInUseError} from '../errors.js'
import {loginFailedPage, rejectedPage, idpErrorPage, type CallbackPage} from './callback-page.js'
import {CALLBACK_PATH, judgeCallback, judgePastedUrl, type CallbackVerdict} from './callback-params.js'

/** Where the listener binds. Never 0.0.0.0: the code must not be reachable from the network (RFC 8252 §8.3). */
export const LOOPBACK_ADDRESS = '127.0.0.1'

/**
 * At most this many connections are kept open at once; past it the oldest idle one is dropped. Browsers open a few
 * spare connections; a local program opening thousands of silent ones would otherwise use up the process's file
 * descriptors and the real callback would be refused.
 */
export const DEFAULT_MAX_CONNECTIONS = 64

/**
 * Ports browsers refuse to connect to (the WHATWG Fetch standard's "bad port" list, https://fetch.spec.whatwg.org/#port-blocking),
 * so a redirect to them never arrives.
 */
const BROWSER_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119,
  123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990,
  993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
])

/**
 * Why a browser could never deliver a callback to this port, or undefined when it can. Port 80: browsers send
 * `Host: 127.0.0.1` without `:80`, which the listener's Host check (against DNS rebinding) cannot tell from a
 * rebound name; the bad ports: browsers refuse to connect at all. 0 means "any free port" and is fine.
 */
export function unusableCallbackPort(port: number): string | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `${port} is not a port number (0-65535)`
  if (port === 80) return 'port 80 cannot work: browsers leave ":80" out of the Host header, and the listener only answers requests addressed to 127.0.0.1:PORT'
  if (BROWSER_BLOCKED_PORTS.has(port)) return `browsers refuse to connect to port ${port} (it is on the Fetch standard's list of blocked ports)`
  return undefined
}

export interface LoopbackListenerOptions {
  /**
   * Ports to try in order. Default [0]: the kernel hands out a free port as part of the bind itself. Give fixed ports
   * for IdPs that compare redirect URIs exactly (Dex, kanidm, pocket-id).
   */
  ports?: number[]
  /** Host name in the redirect URL. The listener binds 127.0.0.1 either way. Default '127.0.0.1' (RFC 8252 §7.3). */
  redirectHost?: '127.0.0.1' | 'localhost'
  /** Told about every request the listener turned away (wrong path, host, method or state). */
  onRejected?: (reason: string) => void
  /** Connections kept open at once (default DEFAULT_MAX_CONNECTIONS); past it the oldest idle one is dropped. */
  maxConnections?: number
}

/** A start path: `/start/` and 128 random bits, so it cannot be guessed, only read off the browser's command line. */
const START_PREFIX = '/start/'

export type AcceptedCallback = Extract<CallbackVerdict, {kind: 'code' | 'idp-error'}>

/**
 * The RFC 8252 loopback redirect target: an HTTP server on 127.0.0.1 that waits for the IdP to send the browser back
 * with `?code=…&state=…`. It accepts one valid callback, then stops listening. The browser request that brought the
 * code is held open until finish() so the page can say how the login really ended.
 *
 * It also serves the login's one-time start URL (startAt): the browser is opened there, never at the IdP URL, so
 * PVE's state is never on a command line (`/proc/PID/cmdline` is readable by every local user). The start URL
 * answers exactly one request with a redirect to the IdP; a second request, or a callback before the first, means
 * someone else has the start URL or the state, and the login fails (LoginInterceptedError) instead of going on.
 */
export class LoopbackListener {
  readonly port: number
  readonly redirectUrl: string
  #server: Server
  #sockets = new Set<Socket>()
  #state: string | undefined
  #accepted: Promise<AcceptedCallback>
  #accept!: (callback: AcceptedCallback) => void
  #done = false
  #held: ServerResponse | undefined
  #closing: Promise<void> | undefined
  #closed: Promise<void>
  #onRejected: ((reason: string) => void) | undefined
  #reject!: (error: Error) => void
  #start: {path: string; idpUrl: string; used: boolean} | undefined
  /** Sockets with a request being answered (or held); the others are idle and may be dropped first. */
  #busy = new Set<Socket>()
  readonly #maxConnections: number
  readonly #redirectHost: string

  private constructor(server: Server, port: number, options: LoopbackListenerOptions) {
    this.#server = server
    this.port = port
    this.redirectUrl = `http://${options.redirectHost ?? LOOPBACK_ADDRESS}:${port}${CALLBACK_PATH}`
    this.#onRejected = options.onRejected
    this.#maxConnections = Math.max(2, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)
    this.#redirectHost = options.redirectHost ?? LOOPBACK_ADDRESS
    this.#accepted = new Promise((resolve, reject) => {
      this.#accept = resolve
      this.#reject = reject
    })
    // Nobody may be listening yet when the login is intercepted; the caller hears it from accepted().
    this.#accepted.catch(() => undefined)
    // 'close' comes once the server stopped listening and every connection is gone.
    this.#closed = new Promise((resolve) => server.once('close', () => resolve()))
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#handle(request, response))
    server.on('connection', (socket: Socket) => {
      if (this.#sockets.size >= this.#maxConnections) this.#dropOldestIdle(socket)
      if (socket.destroyed) return
      this.#sockets.add(socket)
      socket.once('close', () => {
        this.#sockets.delete(socket)
        this.#busy.delete(socket)
      })
    })
  }

  /** Binds the first free port of the list (default: any free port) on 127.0.0.1. */
  static async listen(options: LoopbackListenerOptions = {}): Promise<LoopbackListener> {
    const ports = options.ports?.length ? options.ports : [0]
    for (const port of ports) {
      const unusable = unusableCallbackPort(port)
      if (unusable) throw new InvalidInputError(`The callback port ${port} is not usable: ${unusable}.`, {hint: 'Pick ports from 1024 up that the IdP allows in redirect URIs, e.g. 8400.'})
    }
    for (const port of ports) {
      const server = createServer({requestTimeout: 30_000, headersTimeout: 10_000})
      const bound = await bind(server, port)
      if (bound !== undefined) return new LoopbackListener(server, bound, options)
    }
    throw new PortInUseError(ports, {
      hint: 'Another program (or another login) uses them. Close it, or give other ports; the IdP must allow the redirect URI for whichever port is used.',
    })
  }

  /** Accept callbacks carrying this state (the one PVE put into the auth URL). */
  expectState(state: string): void {
    this.#state = state
  }

  /**
   * Makes a one-time start URL that redirects to `idpUrl`: open the browser there. From now on a callback is only
   * taken after the start URL was opened.
   */
  startAt(idpUrl: string): string {
    const path = `${START_PREFIX}${randomBytes(16).toString('hex')}`
    this.#start = {path, idpUrl, used: false}
    return `http://${this.#redirectHost}:${this.port}${path}`
  }

  /** The browser could not be started after all: the person opens the IdP URL elsewhere, so no start URL is needed. */
  cancelStart(): void {
    this.#start = undefined
  }

  /** The first valid callback from the browser; rejects with LoginInterceptedError when the login was tampered with. */
  accepted(): Promise<AcceptedCallback> {
    return this.#accepted
  }

  /** Judges a pasted redirect URL by the same rules as the browser's request. */
  judgePasted(text: string): CallbackVerdict {
    return judgePastedUrl(text, {port: this.port, state: this.#state})
  }

  /** Answers the held browser request (if any) with the page that says how the login ended. */
  finish(page: CallbackPage): void {
    const response = this.#held
    this.#held = undefined
    if (!response || response.writableEnded || response.destroyed) return
    respond(response, page, true)
  }

  /** Stops listening and drops every connection; answers a still held browser request first. Safe to call twice. */
  close(): Promise<void> {
    this.#done = true
    this.#closing ??= (async () => {
      this.finish(loginFailedPage('The login in the terminal ended before it could finish.'))
      if (this.#server.listening) this.#server.close()
      for (const socket of this.#sockets) {
        if (!socket.writableLength) {
          socket.destroy()
          continue
        }
        // A page is still going out: let it, but do not wait on a browser that never closes its side.
        socket.end()
        setTimeout(() => socket.destroy(), 1000).unref()
      }
      await this.#closed
    })()
    return this.#closing
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    // The request body is never needed; drain it so the connection stays usable for the next request.
    request.resume()
    const socket = request.socket
    this.#busy.add(socket)
    response.once('close', () => this.#busy.delete(socket))
    if (this.#handleStart(request, response)) return
    const verdict: CallbackVerdict = this.#done
      ? {kind: 'rejected', status: 400, reason: 'This login already received its callback.'}
      : judgeCallback(request.method ?? '', request.headers.host, request.url ?? '/', {port: this.port, state: this.#state})
    if (this.#start && !this.#start.used && !this.#done && this.#isCallbackRequest(request)) {
      respond(response, loginFailedPage('A sign-in arrived before this login opened its page: the login was stopped.'), true)
      this.#intercepted('A sign-in callback reached the listener before the browser had opened the login\'s start page')
      return
    }
    if (verdict.kind === 'rejected') {
      this.#onRejected?.(verdict.reason)
      if (verdict.status === 405) response.setHeader('Allow', 'GET')
      respond(response, rejectedPage(verdict.status, verdict.reason), false)
      return
    }
    this.#done = true
    // Take no further connections; the ones open (browsers keep spare ones) are dropped by close().
    if (this.#server.listening) this.#server.close()
    if (verdict.kind === 'idp-error') respond(response, idpErrorPage(verdict.error, verdict.description), true)
    else this.#held = response
    this.#accept(verdict)
  }

  /** Serves the start URL; false when the request is for something else. */
  #handleStart(request: IncomingMessage, response: ServerResponse): boolean {
    const start = this.#start
    if (!start || this.#done) return false
    let path: string
    try {
      path = new URL(request.url ?? '/', 'http://start.invalid').pathname
    } catch {
      return false
    }
    if (path !== start.path) return false
    const host = (request.headers.host ?? '').toLowerCase()
    if (request.method !== 'GET' || (host !== `${LOOPBACK_ADDRESS}:${this.port}` && host !== `localhost:${this.port}`)) return false
    if (start.used) {
      respond(response, loginFailedPage('This login page was opened a second time, so the login was stopped. Start it again in the terminal.'), true)
      this.#intercepted('The login\'s one-time start page was opened a second time')
      return true
    }
    start.used = true
    response.writeHead(302, {Location: start.idpUrl, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'Content-Length': '0'})
    response.end()
    return true
  }

  /** A GET to /callback addressed to this listener: what the IdP's redirect (or a forged one) looks like. */
  #isCallbackRequest(request: IncomingMessage): boolean {
    const host = (request.headers.host ?? '').toLowerCase()
    if (request.method !== 'GET' || (host !== `${LOOPBACK_ADDRESS}:${this.port}` && host !== `localhost:${this.port}`)) return false
    try {
      return new URL(request.url ?? '/', 'http://callback.invalid').pathname === CALLBACK_PATH
    } catch {
      return false
    }
  }

  #intercepted(what: string): void {
    this.#done = true
    if (this.#server.listening) this.#server.close()
    this.#reject(
      new LoginInterceptedError(`${what}; another program on this computer may be trying to slip its own sign-in into this login. Nothing was stored.`, {
        hint: 'Log in again. If it happens again, check which programs and users on this computer could see the browser\'s command line.',
      }),
    )
  }

  /** Makes room for a new connection: drops the oldest idle one, or the new one when every other is busy. */
  #dropOldestIdle(incoming: Socket): void {
    for (const socket of this.#sockets) {
      if (!this.#busy.has(socket)) {
        this.#sockets.delete(socket)
        socket.destroy()
        return
      }
    }
    incoming.destroy()
  }
}

function respond(response: ServerResponse, page: CallbackPage, last: boolean): void {
  response.writeHead(page.status, {...page.headers, ...(last ? {Connection: 'close'} : {})})
  response.end(page.body)
}

/** Resolves with the bound port, or undefined when this port is taken (or not ours to take, like Windows' excluded ranges). */
function bind(server: Server, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(undefined)
      else reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve((server.address() as {port: number}).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    // exclusive: never share the port with a cluster worker or another listener in this process.
    server.listen({host: LOOPBACK_ADDRESS, port, exclusive: true})
  })
}
