import {AuthenticationFailedError, InvalidInputError, LoginRequiredError} from './errors.js'
import {acquireSessionLock} from './lock.js'
import type {LoginProgress} from './login.js'
import {rememberProfile} from './profile-config.js'
import type {PveClient, PveParams, TicketResponse} from './pve-client.js'
import type {SessionKey, SessionRecord} from './session-record.js'
import {resolveSettings, resolveStorage, type Settings, type SettingsInput, type StorageSettings} from './settings.js'
import {openStore} from './store/open-store.js'
import {findSession, sessionAccount, type StoreKind, type TicketStore} from './store/ticket-store.js'
import {hasClockSkew, parseTicket, ticketExpiresAt, usableSecondsLeft} from './ticket.js'

/** Renew when fewer than this many seconds of use are left (the default for getSession and the CLI's --min-valid). */
export const DEFAULT_MIN_VALID_SECONDS = 3600
/** Session.keepAlive and requests renew once fewer than this many seconds are left (proxmox-login's REFRESH_EARLY_BY). */
export const RENEW_BEFORE_SECONDS = 1800

export interface SessionLogger {
  warn(message: string): void
}

export interface SessionOptions extends SettingsInput {
  /**
   * May a browser login start when no cached or renewable ticket exists? Default: only when stdin and stderr are
   * terminals, so a background job never opens a browser.
   */
  interactive?: boolean
  /** Renew (or log in) when the ticket has fewer seconds of use left than this. Default 3600. */
  minValidSeconds?: number
  /** Log in through the browser even when a usable ticket exists. */
  forceLogin?: boolean
  /** How long to wait for the browser step, in ms (default 300 000). */
  timeoutMs?: number
  /** Limit per HTTP request to PVE (login, renewal and the Session's requests), in ms (default 30 000). */
  requestTimeoutMs?: number
  ports?: number[]
  redirectHost?: '127.0.0.1' | 'localhost'
  /**
   * Send the login's auth-url and login calls to this node (e.g. `pve1.example.com`) instead of the server, for a
   * load balancer without sticky sessions: PVE keeps a pending login on the node that answered auth-url. The
   * session (and its ticket, valid cluster-wide) still belongs to the server.
   */
  loginNode?: string
  /** Opens the IdP URL; `false` never opens one (the URL comes through onProgress). Default: see browserCommand. */
  openBrowser?: ((url: string) => Promise<void> | void) | false
  /** Command that opens a URL (appended as its last argument, no shell). Default: BROWSER, else the system browser. */
  browserCommand?: string
  /** Where a person may paste the redirected URL when the browser runs on another machine. */
  pasteInput?: NodeJS.ReadableStream
  onProgress?: (event: LoginProgress) => void
  /** Told about things a person should know (fallbacks, clock skew, another process logging in). */
  logger?: SessionLogger
  signal?: AbortSignal
  keychainTimeoutMs?: number
  /** The clock. Tests and simulations move it; everything else leaves it alone. */
  now?: () => Date
}

/** What `login()` takes: getSession's options without those that decide whether a browser login happens. */
export type LoginSessionOptions = Omit<SessionOptions, 'interactive' | 'forceLogin' | 'minValidSeconds'>

export interface LogoutOptions extends SettingsInput {
  /** Remove the sessions of every server and realm, not only the selected one. */
  all?: boolean
  keychainTimeoutMs?: number
  logger?: SessionLogger
}

/** How a session was obtained, for status lines. */
export type SessionSource = 'cache' | 'renewed' | 'login'

export interface SessionRequestOptions {
  /** Cancels the request (AbortedError); the connection is dropped instead of waiting for PVE's answer. */
  signal?: AbortSignal
}

export interface KeepAliveOptions {
  /** How often to check whether a renewal is due (ms). Default 60 000. */
  intervalMs?: number
  onRenewed?: (session: Session) => void
  /**
   * Told about a failed background renewal (default: the session's logger). Transient failures are retried at the
   * next check; after AuthenticationFailedError (the ticket expired, e.g. over a suspend) keepAlive stops.
   */
  onError?: (error: unknown) => void
}

/**
 * A signed-in PVE session: the ticket and CSRF token, and requests made with them. Requests renew the ticket first
 * when it is close to its end, and keepAlive() does so in the background for long, idle stretches.
 */
export class Session {
  private renewing: Promise<void> | undefined
  private keepAliveTimer: NodeJS.Timeout | undefined
  private closed = false

  /** @internal Use getSession() or login() (loginSession inside the package). */
  constructor(
    private current: SessionRecord,
    readonly source: SessionSource,
    private readonly client: PveClient,
    private readonly store: TicketStore,
    private readonly settings: Settings,
    private readonly now: () => Date,
    private readonly logger: SessionLogger | undefined,
  ) {}

  get server(): string {
    return this.current.server
  }
  get realm(): string {
    return this.current.realm
  }
  get username(): string {
    return this.current.username
  }
  get ticket(): string {
    return this.current.ticket
  }
  get csrfToken(): string {
    return this.current.csrfToken
  }
  get clusterName(): string | undefined {
    return this.current.clusterName
  }
  get issuedAt(): Date {
    return new Date(this.current.issuedAt)
  }
  get expiresAt(): Date {
    return ticketExpiresAt(this.issuedAt)
  }
  /** The stored form of this session (a copy). */
  get record(): SessionRecord {
    return {...this.current}
  }
  /** Where the session is kept: keychain, file or none. */
  get storeKind(): StoreKind {
    return this.store.kind
  }
  /** An undici dispatcher with this server's TLS trust (pin, CA), for `fetch(url, {dispatcher})` and undici users. */
  get dispatcher(): PveClient['dispatcher'] {
    return this.client.dispatcher
  }

  /** Headers that authenticate a request made with another HTTP client. Writes (non-GET) need the CSRF token. */
  headers(method = 'GET'): Record<string, string> {
    const headers: Record<string, string> = {Cookie: `PVEAuthCookie=${this.current.ticket}`}
    if (method.toUpperCase() !== 'GET') headers['CSRFPreventionToken'] = this.current.csrfToken
    return headers
  }

  /**
   * One API call; returns PVE's `data`. `path` is below /api2/json, e.g. `/nodes`. Params go in the query for GET and
   * form-encoded in the body otherwise; booleans become 1/0. PVE's errors become PveApiError (with `status`).
   */
  async request<T = unknown>(method: string, path: string, params?: PveParams, options: SessionRequestOptions = {}): Promise<T> {
    this.checkOpen()
    await this.renewIfDue()
    return this.client.request<T>(method.toUpperCase(), path, {params, ticket: this.current.ticket, csrfToken: this.current.csrfToken, signal: options.signal})
  }
  get<T = unknown>(path: string, params?: PveParams, options?: SessionRequestOptions): Promise<T> {
    return this.request<T>('GET', path, params, options)
  }
  post<T = unknown>(path: string, params?: PveParams, options?: SessionRequestOptions): Promise<T> {
    return this.request<T>('POST', path, params, options)
  }
  put<T = unknown>(path: string, params?: PveParams, options?: SessionRequestOptions): Promise<T> {
    return this.request<T>('PUT', path, params, options)
  }
  delete<T = unknown>(path: string, params?: PveParams, options?: SessionRequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, params, options)
  }

  /** Renews the ticket now (POST /access/ticket with the ticket as password) and stores the result. */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  /**
   * Keeps the ticket valid while the script runs for hours: checks every intervalMs and renews when fewer than
   * 30 minutes are left. The timer does not keep the process alive; close() stops it.
   */
  keepAlive(options: KeepAliveOptions = {}): void {
    this.checkOpen()
    this.stopKeepAlive()
    const timer = setInterval(() => {
      // One renewal at a time: ticks during a slow renewal would otherwise report it once per tick.
      if (this.renewing || !this.renewalDue()) return
      this.renew().then(
        () => options.onRenewed?.(this),
        (error: unknown) => {
          // An expired ticket cannot be renewed any more; retrying every interval would only repeat the warning.
          if (error instanceof AuthenticationFailedError && this.keepAliveTimer === timer) this.stopKeepAlive()
          if (options.onError) options.onError(error)
          else this.logger?.warn(`Background renewal failed: ${(error as Error).message}`)
        },
      )
    }, options.intervalMs ?? 60_000)
    timer.unref()
    this.keepAliveTimer = timer
  }

  /** Stops keepAlive and closes connections; later requests throw. The ticket stays valid (and cached) until it expires. */
  async close(): Promise<void> {
    this.stopKeepAlive()
    if (this.closed) return
    this.closed = true
    await this.client.close()
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer)
    this.keepAliveTimer = undefined
  }

  private checkOpen(): void {
    if (this.closed) throw new InvalidInputError('This session was closed.', {hint: 'Call getSession() again for a new one; the ticket is still cached.'})
  }

  private renewalDue(): boolean {
    return usableSecondsLeft(this.issuedAt, this.now()) < RENEW_BEFORE_SECONDS
  }

  /**
   * Renews before a request when the ticket is near its end. A failed renewal only matters once the ticket is
   * unusable: until then a passing fault (a 502, a reset) must not fail a request the old ticket can still make.
   */
  private async renewIfDue(): Promise<void> {
    if (!this.renewalDue()) return
    try {
      await this.renew()
    } catch (error) {
      const left = usableSecondsLeft(this.issuedAt, this.now())
      if (error instanceof AuthenticationFailedError || left <= 0) throw error
      this.logger?.warn(`Renewing the ticket failed (${(error as Error).message}); using it for its last ${Math.floor(left / 60)} minutes.`)
    }
  }

  private async renewOnce(): Promise<void> {
    const release = await acquireSessionLock(this.settings.paths.stateDir, keyOf(this.current))
    try {
      // Another process may have renewed while we waited for the lock.
      const stored = findSession(await this.store.list(), keyOf(this.current))
      if (stored && stored.username === this.current.username && Date.parse(stored.issuedAt) > Date.parse(this.current.issuedAt)) {
        this.current = stored
        if (usableSecondsLeft(this.issuedAt, this.now()) >= RENEW_BEFORE_SECONDS) return
      }
      this.current = await renewRecord(this.client, this.current, this.now)
      await this.store.save(this.current)
    } finally {
      await release()
    }
  }
}

/** A session as stored, with where it came from: what `getSession` builds a Session from. */
export interface ObtainedSession {
  record: SessionRecord
  source: SessionSource
  settings: Settings
  store: TicketStore
}

/**
 * The session to use for a server and realm: the cached ticket when it has minValidSeconds left, else a silent
 * renewal, else (only when interactive) a browser login. One process at a time does the renewal or login per
 * server and realm; the others wait and then take its result from the store. Never replaces a usable cached
 * ticket with a failure.
 */
export async function getSession(options: SessionOptions = {}): Promise<Session> {
  const obtained = await obtainSession(options)
  const client = await createClient(obtained.settings, options)
  return new Session(obtained.record, obtained.source, client, obtained.store, obtained.settings, options.now ?? systemClock, options.logger)
}

/**
 * getSession without the Session object: the stored record only. The HTTP stack (undici) is loaded only when a
 * renewal or login is needed, so answering from the cache stays cheap (the CLI's `env` and `ticket` use this).
 */
export async function obtainSession(options: SessionOptions = {}): Promise<ObtainedSession> {
  const settings = await resolveSettings(options)
  const now = options.now ?? systemClock
  const minValid = options.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS
  const store = openSettingsStore(settings, options)
  const key: SessionKey = {server: settings.server, realm: settings.realm}
  const fresh = (record: SessionRecord): boolean => usableSecondsLeft(new Date(record.issuedAt), now()) >= minValid
  const done = (record: SessionRecord, source: SessionSource): ObtainedSession => {
    warnAboutSkew(record, now, options.logger)
    return {record, source, settings, store}
  }

  if (!options.forceLogin) {
    const cached = await readSession(store, key, options.logger)
    if (cached && fresh(cached)) return done(cached, 'cache')
  }

  const release = await acquireSessionLock(settings.paths.stateDir, key, {
    signal: options.signal,
    onWait: () => options.logger?.warn('Another pve-login is logging in or renewing this session; waiting for it…'),
  })
  let client: PveClient | undefined
  try {
    const cached = await readSession(store, key, options.logger)
    if (!options.forceLogin) {
      if (cached && fresh(cached)) return done(cached, 'cache')
      if (cached && usableSecondsLeft(new Date(cached.issuedAt), now()) > 0) {
        client = await createClient(settings, options)
        const renewed = await tryRenew(client, cached, now, options.logger)
        if (renewed) {
          if (renewed !== cached) await store.save(renewed)
          return done(renewed, renewed === cached ? 'cache' : 'renewed')
        }
      }
    }
    const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY)
    if (!interactive) {
      throw new LoginRequiredError(`No valid PVE ticket for realm ${settings.realm} on ${settings.server}, and an interactive login is not allowed here.`, {
        hint: `Run: pve-login --server ${settings.server} --realm ${settings.realm}`,
      })
    }
    return done(await loginAndStore(settings, store, options), 'login')
  } finally {
    await client?.close()
    await release()
  }
}

/**
 * Runs the browser login (always, whatever is cached) and stores the result: what `pve-login login` does. The
 * package exports it as `login`.
 */
export async function loginSession(options: LoginSessionOptions = {}): Promise<Session> {
  return getSession({...options, forceLogin: true, interactive: true})
}

/** Removes local sessions. A PVE ticket cannot be revoked on the server; it stays valid until it expires. */
export async function logout(options: LogoutOptions = {}): Promise<SessionRecord[]> {
  const selected = options.all ? undefined : await resolveSettings(options)
  const store = openSettingsStore(selected ?? resolveStorage(options), options)
  const {records} = await store.list()
  const doomed = selected ? records.filter((r) => r.server === selected.server && r.realm === selected.realm) : records
  for (const record of doomed) await store.remove(sessionAccount(record))
  return doomed
}

async function loginAndStore(settings: Settings, store: TicketStore, options: SessionOptions): Promise<SessionRecord> {
  const {login} = await import('./login.js')
  const record = await login({
    server: settings.server,
    realm: settings.realm,
    tls: settings.tls,
    loginNode: options.loginNode,
    ports: options.ports,
    redirectHost: options.redirectHost,
    openBrowser: options.openBrowser,
    browserCommand: options.browserCommand,
    env: options.env,
    pasteInput: options.pasteInput,
    timeoutMs: options.timeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    signal: options.signal,
    onProgress: options.onProgress,
  })
  await store.save(record)
  await rememberProfile(settings.paths.configDir, settings.profile, {
    server: settings.server,
    realm: settings.realm,
    fingerprint: record.tlsPin ?? settings.tls.fingerprint,
    caFile: settings.tls.caFile,
  })
  return record
}

async function tryRenew(client: PveClient, record: SessionRecord, now: () => Date, logger: SessionLogger | undefined): Promise<SessionRecord | undefined> {
  try {
    return await renewRecord(client, record, now)
  } catch (error) {
    // PVE refuses an expired or revoked-user ticket: a browser login is the only way on.
    if (error instanceof AuthenticationFailedError) return undefined
    const left = usableSecondsLeft(new Date(record.issuedAt), now())
    logger?.warn(`Renewing the ticket failed (${(error as Error).message}); using the cached ticket, valid for ${Math.floor(left / 60)} more minutes.`)
    return record
  }
}

async function renewRecord(client: PveClient, record: SessionRecord, now: () => Date): Promise<SessionRecord> {
  const response: TicketResponse = await client.renewTicket(record.username, record.ticket)
  return {
    ...record,
    ticket: response.ticket,
    csrfToken: response.CSRFPreventionToken,
    clusterName: response.clustername ?? record.clusterName,
    issuedAt: (parseTicket(response.ticket)?.issuedAt ?? now()).toISOString(),
  }
}

async function readSession(store: TicketStore, key: SessionKey, logger: SessionLogger | undefined): Promise<SessionRecord | undefined> {
  const listing = await store.list()
  for (const account of listing.corrupt) {
    logger?.warn(`Ignoring the unreadable stored session "${account}" in ${store.location}; the next login replaces it.`)
  }
  return findSession(listing, key)
}

const warnedSkew = new WeakSet<SessionLogger>()
function warnAboutSkew(record: SessionRecord, now: () => Date, logger: SessionLogger | undefined): void {
  if (!logger || warnedSkew.has(logger) || !hasClockSkew(new Date(record.issuedAt), now())) return
  warnedSkew.add(logger)
  logger.warn(`The ticket was issued at ${record.issuedAt}, more than 5 minutes in the future: this computer's clock (or the server's) is wrong, so renewal timing will be off. Check NTP on both.`)
}

function openSettingsStore(settings: StorageSettings, options: {keychainTimeoutMs?: number; logger?: SessionLogger}): TicketStore {
  return openStore({
    choice: settings.store,
    stateDir: settings.paths.stateDir,
    keychainTimeoutMs: options.keychainTimeoutMs,
    onFallback: (message) => options.logger?.warn(message),
  })
}

function systemClock(): Date {
  return new Date()
}

/** The same server, trust and proxy environment as the login's client, so a Session reaches PVE the way the login did. */
async function createClient(settings: Settings, options: Pick<SessionOptions, 'env' | 'requestTimeoutMs'>): Promise<PveClient> {
  const {PveClient} = await import('./pve-client.js')
  return new PveClient({server: settings.server, tls: settings.tls, env: options.env, timeoutMs: options.requestTimeoutMs})
}

function keyOf(record: SessionRecord): SessionKey {
  return {server: record.server, realm: record.realm}
}
