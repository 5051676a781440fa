import {AuthenticationFailedError, InvalidInputError, LoginRequiredError} from '../errors.js'
import type {PveClient, PveParams} from '../pve/pve-client.js'
import {ticketExpiresAt, usableSecondsLeft} from '../pve/ticket.js'
import type {TicketStore, StoreKind} from '../store/ticket-store.js'
import {findSession} from '../store/ticket-store.js'
import {deletePveToken, listPveTokens, type PveRequester} from '../pve/api-tokens.js'
import type {ApiToken, ApiTokenOptions, ListedApiToken} from './api-token.js'
import {mayRenewSilently, RENEW_BEFORE_SECONDS} from './renewal-policy.js'
import {keyOf, renewRecord} from './renew-ticket.js'
import type {KeepAliveOptions, SessionLogger, SessionRequestOptions, SessionSource} from './session-options.js'
import type {SessionRecord} from './session-record.js'
import type {Settings} from './settings.js'

/**
 * A signed-in PVE session: the ticket and CSRF token, and requests made with them. Requests renew the ticket first
 * when it is close to its end, and keepAlive() does so in the background for long, idle stretches.
 */
export class Session {
  private renewing: Promise<void> | undefined
  private keepAliveTimer: NodeJS.Timeout | undefined
  private closed = false
  private builtClient: PveClient | undefined

  /** @internal Use getSession() or login(). */
  constructor(
    private current: SessionRecord,
    readonly source: SessionSource,
    /** Called on the first request, renewal or `dispatcher`: a session read from the cache may never need HTTP. */
    private readonly makeClient: () => PveClient,
    private readonly store: TicketStore,
    private readonly settings: Settings,
    private readonly now: () => Date,
    private readonly logger: SessionLogger | undefined,
    private readonly maxSessionSeconds?: number,
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
  /** When PVE stops accepting the ticket, on this machine's clock (the server's clock offset allowed for). */
  get expiresAt(): Date {
    return ticketExpiresAt(this.issuedAt, this.current.clockOffsetSeconds ?? 0)
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

  /**
   * Mints a short-lived PVE API token for this session's user (id `pve-login-<8 hex>`, default 8 h, at most 7 days),
   * for a tool that runs longer than a ticket lives. Default privsep false: the token has the user's own rights. The
   * caller revokes it (`token.revoke()`) when done; if that never happens, PVE refuses it after `expiresAt`.
   * Throws ApiTokenError (API_TOKEN_REFUSED, API_TOKEN_UNSUPPORTED, API_TOKEN_ID_CLASH, API_TOKEN_NO_RIGHTS).
   */
  async createApiToken(options: ApiTokenOptions = {}): Promise<ApiToken> {
    this.checkOpen()
    // Loaded on use: it brings node:crypto and node:os, which a session read from the cache never needs.
    const {mintApiToken} = await import('./api-token.js')
    return mintApiToken(this.requester(), this.username, options, {now: this.now})
  }

  /**
   * createApiToken, then `fn(token)`, then the token is deleted however fn ends. fn's result is returned and its
   * error rethrown; a failed deletion is thrown only when fn succeeded (the token then lives until its expiry).
   */
  async withApiToken<T>(options: ApiTokenOptions, fn: (token: ApiToken) => T | Promise<T>): Promise<T> {
    const token = await this.createApiToken(options)
    let result: T
    try {
      result = await fn(token)
    } catch (error) {
      await token.revoke().catch(() => undefined)
      throw error
    }
    await token.revoke()
    return result
  }

  /** The user's API tokens at PVE (never their secrets), with pve-login's marker on the ones it created. */
  async listApiTokens(): Promise<ListedApiToken[]> {
    this.checkOpen()
    const [{describeListedToken}, tokens] = await Promise.all([import('./api-token.js'), listPveTokens(this.requester(), this.username)])
    return tokens.map((info) => describeListedToken(this.username, info)).sort((a, b) => a.tokenId.localeCompare(b.tokenId))
  }

  /** Deletes one of the user's API tokens by its id part; false when PVE had no such token. */
  deleteApiToken(tokenId: string): Promise<boolean> {
    this.checkOpen()
    return deletePveToken(this.requester(), this.username, tokenId)
  }

  private requester(): PveRequester {
    return <T>(method: string, path: string, params?: PveParams) => this.request<T>(method, path, params)
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
          if ((error instanceof AuthenticationFailedError || error instanceof LoginRequiredError) && this.keepAliveTimer === timer) this.stopKeepAlive()
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
    await this.builtClient?.close()
  }

  private get client(): PveClient {
    this.builtClient ??= this.makeClient()
    return this.builtClient
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer)
    this.keepAliveTimer = undefined
  }

  private checkOpen(): void {
    if (this.closed) throw new InvalidInputError('This session was closed.', {hint: 'Call getSession() again for a new one; the ticket is still cached.'})
  }

  private secondsLeft(): number {
    return usableSecondsLeft(this.issuedAt, this.now(), this.current.clockOffsetSeconds ?? 0)
  }

  private renewalDue(): boolean {
    return this.secondsLeft() < RENEW_BEFORE_SECONDS
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
      const left = this.secondsLeft()
      if (error instanceof AuthenticationFailedError || left <= 0) throw error
      this.logger?.warn(`Renewing the ticket failed (${(error as Error).message}); using it for its last ${Math.floor(left / 60)} minutes.`)
    }
  }

  private async renewOnce(): Promise<void> {
    const {acquireSessionLock} = await import('./lock.js')
    const release = await acquireSessionLock(this.settings.paths.stateDir, keyOf(this.current))
    try {
      // Another process may have renewed while we waited for the lock.
      const stored = findSession(await this.store.find(keyOf(this.current)), keyOf(this.current))
      if (stored && stored.username === this.current.username && Date.parse(stored.issuedAt) > Date.parse(this.current.issuedAt)) {
        this.current = stored
        if (this.secondsLeft() >= RENEW_BEFORE_SECONDS) return
      }
      if (!mayRenewSilently(this.current.loginAt, this.now(), this.maxSessionSeconds)) {
        throw new LoginRequiredError(`The browser login of ${this.current.username} is older than maxSessionSeconds, so the ticket is not renewed silently.`, {
          hint: 'Log in again through the browser (login()); the ticket stays usable until it expires.',
        })
      }
      this.current = await renewRecord(this.client, this.current, this.now)
      await this.store.save(this.current, {reason: 'renewal'})
    } finally {
      await release()
    }
  }
}
