import type {Agent, RequestOptions} from 'node:https'
import type {Socket} from 'node:net'
import type {TLSSocket} from 'node:tls'

import {isIP, type HostLookup} from './pve-dispatcher.js'
import {tlsConnectOptions, verifyPeer, type TlsTrust} from './tls.js'

/** One answer, read whole (up to the limit the caller set). */
export interface TransportAnswer {
  status: number
  /** The reason phrase: PVE put its error message there before pve-http-server 5.2.0. */
  statusText: string
  header(name: string): string | null
  /** The body, or undefined when it was larger than allowed (and was not read). */
  body: Buffer | undefined
}

export interface TransportRequest {
  url: URL
  method: string
  headers: Record<string, string>
  body?: string
  signal: AbortSignal
  maxResponseBytes: number
}

/** How Node's Agent asks for a connection: the socket now, or undefined and the socket later through `created`. */
type ConnectionFactory = (connection: {host?: string | null; port?: number | string | null}, created: (error: Error | null, socket?: Socket) => void) => Socket | undefined

export interface HttpsTransportOptions {
  trust: TlsTrust
  connectTimeoutMs: number
  /** The address each host name's connections go to (pinnedLookup(), shared with the client's undici dispatcher). */
  addresses: HostLookup
}

/**
 * PVE's requests over node:https, for a client that needs no proxy and was handed no dispatcher: undici (the
 * dispatcher PveClient exposes, and the way through a proxy) costs a process some 60 ms to load, more than a cached
 * `pve-login api` does otherwise (measured on 2 cores with Node 20). The same two properties as the undici
 * dispatcher (src/pve/pve-dispatcher.ts): every connection goes to the one address the host name first resolved to,
 * and the certificate is judged by verifyPeer() after the handshake, before a byte of HTTP is written. Connections
 * are kept alive for the next request; TLS sessions are never resumed (verifyPeer needs the certificate).
 */
export class HttpsTransport {
  #agent: Promise<Agent> | undefined

  constructor(private readonly options: HttpsTransportOptions) {}

  async request(request: TransportRequest): Promise<TransportAnswer> {
    const [{request: send}, agent] = await Promise.all([import('node:https'), this.#getAgent()])
    const {url} = request
    const hostname = url.hostname.replace(/^\[|\]$/g, '')
    const options: RequestOptions = {
      agent,
      method: request.method,
      host: hostname,
      port: Number(url.port || 443),
      path: `${url.pathname}${url.search}`,
      // Host as undici sends it: the URL's host (port included unless 443).
      headers: {host: url.host, ...request.headers, ...(request.body === undefined ? {} : {'content-length': String(Buffer.byteLength(request.body))})},
      signal: request.signal,
    }
    return new Promise<TransportAnswer>((resolve, reject) => {
      const outgoing = send(options, (response) => {
        const header = (name: string): string | null => {
          const value = response.headers[name.toLowerCase()]
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
        }
        const answer = (body: Buffer | undefined): TransportAnswer => ({status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', header, body})
        const announced = Number(header('content-length') ?? NaN)
        if (announced > request.maxResponseBytes) {
          response.destroy()
          resolve(answer(undefined))
          return
        }
        const chunks: Buffer[] = []
        let length = 0
        response.on('data', (chunk: Buffer) => {
          length += chunk.length
          if (length > request.maxResponseBytes) {
            response.destroy()
            resolve(answer(undefined))
            return
          }
          chunks.push(chunk)
        })
        response.once('end', () => resolve(answer(Buffer.concat(chunks, length))))
        response.once('error', reject)
      })
      outgoing.once('error', reject)
      outgoing.end(request.body)
    })
  }

  /** Drops the connections, including one still being set up. */
  async close(): Promise<void> {
    const agent = this.#agent
    this.#agent = undefined
    if (agent) (await agent).destroy()
  }

  #getAgent(): Promise<Agent> {
    this.#agent ??= import('node:https').then(({Agent}) => {
      const agent = new Agent({keepAlive: true})
      // Node's Agent waits for the callback when createConnection returns nothing: the socket is handed over only
      // once its certificate passed.
      ;(agent as unknown as {createConnection: ConnectionFactory}).createConnection = (connection, created) => this.connect(connection, created)
      return agent
    })
    return this.#agent
  }

  private connect(...[connection, created]: Parameters<ConnectionFactory>): undefined {
    const host = connection.host ?? 'localhost'
    const port = Number(connection.port ?? 443)
    void this.options.addresses(host).then(
      async (address) => {
        const {connect} = await import('node:tls')
        const socket: TLSSocket = connect({
          ...tlsConnectOptions(this.options.trust),
          host: address,
          port,
          // SNI and the CA check's name: the host name, not the address it resolved to (an IP gets no SNI).
          ...(isIP(host) ? {} : {servername: host}),
        })
        socket.setTimeout(this.options.connectTimeoutMs, () => {
          const error = Object.assign(new Error(`connect timed out after ${this.options.connectTimeoutMs} ms`), {code: 'ETIMEDOUT'})
          socket.destroy(error)
        })
        socket.once('error', (error) => created(error))
        socket.once('secureConnect', () => {
          socket.setTimeout(0)
          const problem = verifyPeer(socket, this.options.trust, hostOf(host, port))
          if (problem) {
            socket.destroy()
            created(problem)
            return
          }
          created(null, socket)
        })
      },
      (error: Error) => created(error),
    )
    return undefined
  }
}

/** `host:port` as URL.host spells it (the form verifyPeer's messages and undici's connector use). */
function hostOf(host: string, port: number): string {
  const name = isIP(host) === 6 ? `[${host}]` : host
  return port === 443 ? name : `${name}:${port}`
}
