import type {Dispatcher} from 'undici'
import {
  AbortedError,
  AuthenticationFailedError,
  InvalidInputError,
  PveApiError,
  PveLoginError,
  TimeoutError,
  UnreachableError,
} from '../errors.js'
import {HttpsTransport, type TransportAnswer} from './https-transport.js'
import {createPveDispatcher, loadUndici, pinnedLookup, proxyConfigured, type HostLookup} from './pve-dispatcher.js'
import {normalizeServer} from './server-url.js'
import {isCertificateErrorCode, probeFingerprint, resolveTlsTrust, untrustedCertificateError, type TlsOptions, type TlsTrust} from './tls.js'

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/**
 * The most of an answer that is read. A ticket, a realm list or a PVE error is a few KiB; 1 MiB is far beyond any
 * of them, and a broken or hostile server sending more must not take the machine's memory (a 1 GiB answer to
 * /access/ticket once took 2.2 GB). API calls (`Session.request`) allow more: a large cluster's resource list is
 * big, but still bounded.
 */
export const LOGIN_RESPONSE_MAX_BYTES = 1024 * 1024
export const DEFAULT_RESPONSE_MAX_BYTES = 32 * 1024 * 1024
/** PVE's messages are one line; a longer one is cut before it reaches a warning or an error. */
export const MAX_MESSAGE_LENGTH = 500

export interface PveClientOptions {
  /** A PVE server as a person types it (`pve`, `pve:8006`, `https://…`); see normalizeServer(). */
  server: string
  tls?: TlsOptions
  /** Per-request limit, including reading the answer. Default 30 s. */
  timeoutMs?: number
  /** Where proxy variables are read from. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Resolves the server's host name once for the client's lifetime. Default: the first address of dns.lookup(). */
  lookup?: HostLookup
  /** Use this dispatcher instead of building one (it is not closed by close()). TLS options then do not apply. */
  dispatcher?: Dispatcher
}

/** Request parameters. Booleans become 1/0 (PVE's form), arrays repeat the key, undefined and null are left out. */
export type PveParams = Record<string, unknown>

export interface PveRequestOptions {
  params?: PveParams
  /** Sent as the PVEAuthCookie cookie. */
  ticket?: string
  /** Sent as the CSRFPreventionToken header; PVE needs it on every authenticated non-GET request. */
  csrfToken?: string
  signal?: AbortSignal
  timeoutMs?: number
  /** Refuse an answer larger than this (PveApiError). Default DEFAULT_RESPONSE_MAX_BYTES. */
  maxResponseBytes?: number
}

/** One entry of GET /access/domains. */
export interface PveRealm {
  realm: string
  type: string
  comment?: string
  default?: boolean
  tfa?: string
}

/** What PVE answers to a successful login or renewal, in PVE's own field names. */
export interface TicketResponse {
  username: string
  ticket: string
  CSRFPreventionToken: string
  clustername?: string
  /** PVE's capability map (`{vms: {'VM.Allocate': 1, …}, …}`). */
  cap?: Record<string, Record<string, number>>
}

export interface CompleteLoginParams {
  code: string
  state: string
  /** Exactly the redirect URL given to authUrl(): PVE hands it to the IdP's token endpoint, which compares them. */
  redirectUrl: string
}

/** Node and undici error codes meaning "no connection to that server", as opposed to a refusal by the server. */
const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
}

interface RawTicket {
  username?: unknown
  ticket?: unknown
  CSRFPreventionToken?: unknown
  clustername?: unknown
  cap?: unknown
}

/**
 * HTTP to one PVE server: form-encoded requests, PVE's `{data}` envelope unwrapped, every failure a typed error.
 * Importing this module is cheap: undici loads when the first client is constructed.
 */
export class PveClient {
  /** The server origin, e.g. `https://pve.example.com:8006`. */
  readonly server: string
  readonly trust: TlsTrust
  /** When the last answer arrived and its HTTP Date header (the server's clock), for measureClockOffset. */
  lastAnswer: {receivedAt: Date; dateHeader: string | null} | undefined
  readonly #timeoutMs: number
  readonly #options: PveClientOptions
  #dispatcher: Dispatcher | undefined
  /** node:https instead of undici for this client's own requests: no proxy and no dispatcher handed in. */
  readonly #transport: HttpsTransport | undefined
  /** One address per host name for the client's lifetime, whichever of the two carries a request. */
  readonly #addresses: HostLookup

  /** Throws InvalidInputError for a bad server address, fingerprint or CA file. Connects only on the first request. */
  constructor(options: PveClientOptions) {
    this.server = normalizeServer(options.server)
    this.trust = resolveTlsTrust(options.tls)
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#options = options
    this.#dispatcher = options.dispatcher
    this.#addresses = pinnedLookup(options.lookup)
    if (!options.dispatcher && !proxyConfigured(options.env ?? process.env)) {
      this.#transport = new HttpsTransport({trust: this.trust, connectTimeoutMs: this.#connectTimeoutMs, addresses: this.#addresses})
    }
  }

  /**
   * Reuse it for other requests to the same server: it carries the same TLS trust and the same resolved address.
   * Built (with undici) on first use: the client's own requests need it only through a proxy.
   */
  get dispatcher(): Dispatcher {
    this.#dispatcher ??= createPveDispatcher({trust: this.trust, env: this.#options.env ?? process.env, connectTimeoutMs: this.#connectTimeoutMs, addresses: this.#addresses})
    return this.#dispatcher
  }

  get #connectTimeoutMs(): number {
    return Math.min(this.#timeoutMs, 10_000)
  }

  /** Sends one API call (`path` below /api2/json) and returns PVE's `data`. */
  async request<T>(verb: string, apiPath: string, options: PveRequestOptions = {}): Promise<T> {
    const method = verb.toUpperCase()
    const path = apiPath.startsWith('/') ? apiPath : `/${apiPath}`
    const step = `${method} ${path}`
    const url = new URL(`/api2/json${path}`, this.server)
    // `..` and `%2e%2e` segments are resolved by URL: never let them carry the ticket outside the API.
    if (url.pathname !== '/api2/json' && !url.pathname.startsWith('/api2/json/')) {
      throw new InvalidInputError(`The API path ${JSON.stringify(apiPath)} leads outside /api2/json; refusing to send it.`, {
        hint: 'Give a path below /api2/json, such as /nodes or /cluster/resources, without "." or ".." segments.',
      })
    }
    const form = new URLSearchParams()
    for (const [key, value] of Object.entries(options.params ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== undefined && item !== null) form.append(key, formValue(key, item))
      }
    }
    const headers: Record<string, string> = {accept: 'application/json', 'user-agent': 'pve-login'}
    if (options.ticket !== undefined) headers.cookie = `PVEAuthCookie=${checkHeaderValue(options.ticket, 'ticket')}`
    const read = method === 'GET' || method === 'HEAD'
    // PVE checks the token only on writes; on reads it would just be one more copy of a credential in transit.
    if (options.csrfToken !== undefined && !read) headers.csrfpreventiontoken = checkHeaderValue(options.csrfToken, 'CSRF token')
    let body: string | undefined
    if (read) {
      url.search = form.toString()
    } else {
      body = form.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }

    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    let status: number
    let reason: string
    let contentType: string
    let text: string
    try {
      options.signal?.throwIfAborted()
      const maxBytes = options.maxResponseBytes ?? DEFAULT_RESPONSE_MAX_BYTES
      if (this.#transport) {
        const answer: TransportAnswer = await this.#transport.request({url, method, headers, body, signal, maxResponseBytes: maxBytes})
        this.lastAnswer = {receivedAt: new Date(), dateHeader: answer.header('date')}
        status = answer.status
        reason = answer.statusText
        contentType = answer.header('content-type') ?? ''
        if (answer.body === undefined) throw tooLargeError(status, step, maxBytes)
        text = answer.body.toString('utf8')
      } else {
        const response = await loadUndici().fetch(url, {method, headers, body, signal, dispatcher: this.dispatcher, redirect: 'manual'})
        this.lastAnswer = {receivedAt: new Date(), dateHeader: response.headers.get('date')}
        status = response.status
        reason = response.statusText
        contentType = response.headers.get('content-type') ?? ''
        text = await readBounded(response, maxBytes, step)
      }
    } catch (error) {
      // Only readBounded throws this here: an answer past its size limit.
      if (error instanceof PveApiError) throw error
      if (options.signal?.aborted) throw new AbortedError()
      if (timeout.aborted) {
        throw new TimeoutError(`PVE did not answer ${step} within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}.`, {
          hint: `Check that ${this.server} is the PVE API (port 8006) and that the node is not overloaded.`,
          cause: error,
        })
      }
      throw await this.#connectionError(error, step)
    }
    // node:http only for its reason phrases, and only for a failure: this module is imported with the package.
    const standardReason = status >= 200 && status < 300 ? undefined : (await import('node:http')).STATUS_CODES[status]
    return this.#unwrap<T>(step, status, reason, contentType, text, standardReason)
  }

  /** The realms of the login box (no authentication needed). */
  async domains(signal?: AbortSignal): Promise<PveRealm[]> {
    const data = await this.request<unknown>('GET', '/access/domains', {signal, maxResponseBytes: LOGIN_RESPONSE_MAX_BYTES})
    if (!Array.isArray(data)) throw new PveApiError(200, 'GET /access/domains did not return a list of realms')
    return data
      .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && typeof entry.realm === 'string')
      .map((entry) => ({
        realm: entry.realm as string,
        type: String(entry.type ?? ''),
        ...(typeof entry.comment === 'string' ? {comment: entry.comment} : {}),
        ...(entry.default ? {default: true} : {}),
        ...(typeof entry.tfa === 'string' ? {tfa: entry.tfa} : {}),
      }))
  }

  /** Starts an OpenID login on the node that answers: returns the IdP URL to open in the browser. */
  async authUrl(realm: string, redirectUrl: string, signal?: AbortSignal): Promise<string> {
    const data = await this.request<unknown>('POST', '/access/openid/auth-url', {params: {realm, 'redirect-url': redirectUrl}, signal, maxResponseBytes: LOGIN_RESPONSE_MAX_BYTES})
    if (typeof data !== 'string') throw new PveApiError(200, 'POST /access/openid/auth-url did not return a URL')
    return data
  }

  /** Trades the IdP's code for a PVE ticket. PVE answers any failure with a bare 401; the caller explains it. */
  async completeLogin(params: CompleteLoginParams, signal?: AbortSignal): Promise<TicketResponse> {
    const data = await this.request<RawTicket>('POST', '/access/openid/login', {
      params: {code: params.code, state: params.state, 'redirect-url': params.redirectUrl},
      signal,
      maxResponseBytes: LOGIN_RESPONSE_MAX_BYTES,
    })
    return toTicket(data, 'POST /access/openid/login')
  }

  /** A fresh 2-hour ticket for a still valid one (PVE accepts the ticket as the password; no browser needed). */
  async renewTicket(username: string, ticket: string, signal?: AbortSignal): Promise<TicketResponse> {
    let data: RawTicket
    try {
      data = await this.request<RawTicket>('POST', '/access/ticket', {params: {username, password: ticket}, signal, maxResponseBytes: LOGIN_RESPONSE_MAX_BYTES})
    } catch (error) {
      if (error instanceof PveApiError && error.status === 401) {
        throw new AuthenticationFailedError(`PVE refused to renew the ticket of ${username} (401 ${error.pveMessage}).`, {
          hint: 'The ticket has expired (PVE accepts tickets for 2 hours) or the user was disabled: log in again.',
          cause: error,
        })
      }
      throw error
    }
    return toTicket(data, 'POST /access/ticket')
  }

  /** Closes the connections (unless the dispatcher was passed in). */
  /**
   * Drops the connections, including one still being set up: close() is called when the caller is done, and an
   * aborted request's TLS handshake would otherwise keep the process alive until the connect timeout.
   */
  async close(): Promise<void> {
    await this.#transport?.close()
    // A dispatcher handed in is the caller's to close; one built here only when it was used.
    if (this.#dispatcher && this.#dispatcher !== this.#options.dispatcher) await this.#dispatcher.destroy()
  }

  #unwrap<T>(step: string, status: number, reason: string, contentType: string, text: string, standardReason: string | undefined): T {
    const json = contentType.includes('json') ? parseJson(text) : undefined
    if (status >= 200 && status < 300) {
      if (!isEnvelope(json)) throw new PveApiError(status, `${step} did not answer with PVE's JSON`, undefined, {hint: proxyHint(this.server)})
      return json.data as T
    }
    // Since pve-http-server 5.2.0 the envelope carries `message`; before, only the reason phrase had it.
    const envelope = isEnvelope(json) ? json : undefined
    const message = clip(firstLine(typeof envelope?.message === 'string' ? envelope.message : '') || firstLine(reason) || standardReason || 'error')
    const errors = envelope && isStringMap(envelope.errors) ? clipErrors(envelope.errors) : undefined
    // Anything that is not PVE's JSON (a reverse proxy's HTML page, mostly) is summarised, never shown.
    const fromProxy = status >= 500 && !envelope && text.trim() !== ''
    throw new PveApiError(status, fromProxy ? `${message} (the answer came from something in front of PVE, not from PVE)` : message, errors, {
      hint: apiHint(status, message, fromProxy, this.server),
    })
  }

  async #connectionError(error: unknown, step: string): Promise<PveLoginError> {
    const cause = rootCause(error)
    if (cause instanceof PveLoginError) return cause
    const code = (cause as NodeJS.ErrnoException | undefined)?.code
    const url = new URL(this.server)
    if (isCertificateErrorCode(code)) {
      // Only a dispatcher passed in by the caller rejects inside the handshake; ask the server for its certificate.
      const host = url.hostname.replace(/^\[|\]$/g, '')
      const fingerprint = await probeFingerprint({host, port: Number(url.port || 443), ...(/[a-z]/i.test(host) && !host.includes(':') ? {servername: host} : {})})
      return untrustedCertificateError(url.host, code!, fingerprint)
    }
    const what = (code && UNREACHABLE_CODES[code]) ?? (code?.startsWith('ERR_SSL') || code === 'EPROTO' ? 'TLS handshake failed' : undefined)
    return new UnreachableError(`Cannot reach ${this.server} (${what ?? code ?? (cause as Error | undefined)?.message ?? 'unknown error'}) during ${step}.`, {
      hint:
        `Check the address and port (${url.host}; PVE's API listens on port 8006), that this computer can reach it ` +
        '(VPN, firewall), and HTTPS_PROXY/NO_PROXY if a proxy is needed to get there.',
      cause: error,
    })
  }
}

function toTicket(data: RawTicket | null | undefined, step: string): TicketResponse {
  if (!data || typeof data.username !== 'string' || typeof data.ticket !== 'string' || typeof data.CSRFPreventionToken !== 'string') {
    throw new PveApiError(200, `${step} answered without username, ticket and CSRF token`)
  }
  return {
    username: data.username,
    ticket: data.ticket,
    CSRFPreventionToken: data.CSRFPreventionToken,
    ...(typeof data.clustername === 'string' ? {clustername: data.clustername} : {}),
    ...(typeof data.cap === 'object' && data.cap !== null ? {cap: data.cap as TicketResponse['cap']} : {}),
  }
}

function formValue(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return String(value)
  throw new InvalidInputError(`Parameter ${key} must be a string, number or boolean.`)
}

function apiHint(status: number, message: string, fromProxy: boolean, server: string): string | undefined {
  if (fromProxy || (status >= 300 && status < 400) || status === 502 || status === 503 || status === 504) return proxyHint(server)
  if (status === 401 && /csrf/i.test(message)) return 'PVE needs the CSRFPreventionToken that came with the ticket for every change (non-GET request).'
  if (status === 401) return 'The ticket is missing, expired or invalid: log in again.'
  if (status === 403) return 'The user is logged in but lacks the permission for this call; an administrator can grant it (Datacenter → Permissions).'
  // PVE answers 501 both for a path it does not know and for a method the path does not have.
  if (status === 501) return 'PVE has no such API call: check the path and the HTTP method.'
  return undefined
}

function proxyHint(server: string): string {
  return `A reverse proxy or load balancer at ${server} answered instead of PVE. Check that pveproxy runs on the node (systemctl status pveproxy) or use the node's address with port 8006.`
}

/** Header values may not carry line breaks or `;` (which would end the cookie): refuse instead of sending garbage. */
function checkHeaderValue(value: string, what: string): string {
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes(';')) {
    // Never include the value: it is a credential.
    throw new InvalidInputError(`The ${what} contains characters PVE never puts in one; refusing to send it.`)
  }
  return value
}

function rootCause(error: unknown): unknown {
  let current = error
  // undici's fetch wraps the real failure as TypeError('fetch failed', {cause}).
  while (current instanceof Error && !(current instanceof PveLoginError) && !(current as NodeJS.ErrnoException).code && current.cause) current = current.cause
  return current
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isEnvelope(value: unknown): value is {data: unknown; message?: unknown; errors?: unknown} {
  return typeof value === 'object' && value !== null && 'data' in value
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string')
}

function firstLine(text: string): string {
  const end = text.indexOf('\n')
  return (end < 0 ? text : text.slice(0, end)).trim()
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}… (${text.length - MAX_MESSAGE_LENGTH} more characters)` : text
}

/** PVE's per-parameter errors, each cut like a message, and at most 50 of them. */
function clipErrors(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).slice(0, 50).map(([name, text]) => [clip(name), clip(firstLine(text))]))
}

/** The answer's text, or a PveApiError once it passes maxBytes (announced or read): the rest is never read. */
function tooLargeError(status: number, step: string, maxBytes: number): PveApiError {
  return new PveApiError(status, `${step} answered with more than ${formatBytes(maxBytes)}; the answer was not read`, undefined, {
    hint: 'PVE never sends that much here: something in front of PVE (a proxy, a captive portal) or a broken server answered.',
  })
}

async function readBounded(response: Response, maxBytes: number, step: string): Promise<string> {
  const tooLarge = () => tooLargeError(response.status, step, maxBytes)
  const announced = Number(response.headers.get('content-length') ?? NaN)
  if (announced > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!response.body) return ''
  const chunks: Uint8Array[] = []
  let length = 0
  const reader = response.body.getReader()
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, length).toString('utf8')
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`
}
