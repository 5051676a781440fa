import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import {InvalidInputError, PortInUseError} from '../errors.js'
import {loginFailedPage, rejectedPage, idpErrorPage, type CallbackPage} from './callback-page.js'
import {CALLBACK_PATH, judgeCallback, judgePastedUrl, type CallbackVerdict} from './callback-params.js'

/** Where the listener binds. Never 0.0.0.0: the code must not be reachable from the network (RFC 8252 §8.3). */
export const LOOPBACK_ADDRESS = '127.0.0.1'

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
}

export type AcceptedCallback = Extract<CallbackVerdict, {kind: 'code' | 'idp-error'}>

/**
 * The RFC 8252 loopback redirect target: an HTTP server on 127.0.0.1 that waits for the IdP to send the browser back
 * with `?code=…&state=…`. It accepts one valid callback, then stops listening. The browser request that brought the
 * code is held open until finish() so the page can say how the login really ended.
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

  private constructor(server: Server, port: number, options: LoopbackListenerOptions) {
    this.#server = server
    this.port = port
    this.redirectUrl = `http://${options.redirectHost ?? LOOPBACK_ADDRESS}:${port}${CALLBACK_PATH}`
    this.#onRejected = options.onRejected
    this.#accepted = new Promise((resolve) => (this.#accept = resolve))
    // 'close' comes once the server stopped listening and every connection is gone.
    this.#closed = new Promise((resolve) => server.once('close', () => resolve()))
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#handle(request, response))
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /** Binds the first free port of the list (default: any free port) on 127.0.0.1. */
  static async listen(options: LoopbackListenerOptions = {}): Promise<LoopbackListener> {
    const ports = options.ports?.length ? options.ports : [0]
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new InvalidInputError(`${port} is not a port number (0-65535).`)
      }
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

  /** The first valid callback from the browser. */
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
    const verdict: CallbackVerdict = this.#done
      ? {kind: 'rejected', status: 400, reason: 'This login already received its callback.'}
      : judgeCallback(request.method ?? '', request.headers.host, request.url ?? '/', {port: this.port, state: this.#state})
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
