import {AbortedError, AuthenticationFailedError, InvalidInputError, PveApiError, RealmError} from '../errors.js'
import {loginFailedPage, signedInPage} from './callback-page.js'
import {waitForCallback, DEFAULT_CALLBACK_TIMEOUT_MS} from './callback-wait.js'
import {canOpenBrowser, openBrowser as openWithSystemBrowser} from './browser.js'
import {LoopbackListener} from './loopback-listener.js'
import {PveClient, type PveRealm, type TicketResponse} from '../pve/pve-client.js'
import {normalizeServer} from '../pve/server-url.js'
import type {SessionRecord} from '../session/session-record.js'
import {measureClockOffset, parseTicket} from '../pve/ticket.js'
import type {TlsOptions} from '../pve/tls.js'

/** What the login tells its caller while it runs. The library prints nothing itself. */
export type LoginProgress =
  | {type: 'checking-realm'; server: string; realm: string}
  | {type: 'listening'; redirectUrl: string}
  /**
   * The browser was asked to open `url`: the login's one-time start URL on the listener (it redirects to the IdP).
   * Show it anyway, in case nothing appeared; opening it a second time stops the login.
   */
  | {type: 'browser-opened'; url: string}
  /**
   * No browser could be opened here: the caller must show `url`, the IdP's own URL, for a browser on this machine or
   * another (the redirect back then comes through an ssh -L forward or is pasted).
   */
  | {type: 'browser-unavailable'; url: string; reason: string}
  | {type: 'waiting'; url: string; deadline: Date}
  /** A request to the listener (or a pasted line) was not this login's callback; the login keeps waiting. */
  | {type: 'callback-rejected'; source: 'browser' | 'paste'; reason: string}
  | {type: 'exchanging'}

/** The parts of PveClient the login uses; a test can hand in its own. */
export type LoginClient = Pick<PveClient, 'server' | 'trust' | 'domains' | 'authUrl' | 'completeLogin' | 'close'> & Partial<Pick<PveClient, 'lastAnswer'>>

export interface LoginOptions {
  /** The PVE server as a person types it; recorded in the session (normalised). */
  server: string
  /** An OpenID realm of that server. */
  realm: string
  tls?: TlsOptions
  /**
   * Send auth-url and login to this node instead of `server` (same normalisation), for a load balancer without sticky
   * sessions: PVE keeps the pending login on the node that answered auth-url. The ticket then works cluster-wide.
   */
  loginNode?: string
  /** Listener ports to try in order (the IdP must allow the redirect URI for each); default any free port. */
  ports?: number[]
  redirectHost?: '127.0.0.1' | 'localhost'
  /** How long to wait for the browser to come back, in ms. Default 300 000 (PVE forgets a pending login after 10 min). */
  timeoutMs?: number
  /** Limit per HTTP request to PVE, in ms. Default 30 000. */
  requestTimeoutMs?: number
  /** Cancels the login (AbortedError); the listener closes. */
  signal?: AbortSignal
  /**
   * Opens the login's one-time start URL (`http://127.0.0.1:PORT/start/…`, which redirects to the IdP once: PVE's
   * state never reaches a command line). Default: browserCommand, else BROWSER, else the system browser, unless
   * canOpenBrowser() says there is none. `false`: never open one (the caller shows the IdP URL on
   * 'browser-unavailable'). A hook that throws counts as "no browser".
   */
  openBrowser?: ((url: string) => Promise<void> | void) | false
  /** Browser command for the default opener, e.g. `firefox --private-window`. */
  browserCommand?: string
  /** Where a person may paste the redirected URL (a browser on another machine cannot reach the listener). */
  pasteInput?: NodeJS.ReadableStream
  onProgress?: (event: LoginProgress) => void
  /** For BROWSER, DISPLAY, SSH_* and proxy variables. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Use this client instead of creating one (it is not closed). */
  client?: LoginClient
}

const REALM_PATTERN = /^[A-Za-z][A-Za-z0-9.\-_]+$/

/**
 * The interactive login: check the realm, listen on 127.0.0.1, ask PVE for the IdP URL, open the browser, wait for the
 * redirect (or a pasted URL), and trade the code for a PVE ticket. Every exit path closes the listener.
 */
export async function browserLogin(options: LoginOptions): Promise<SessionRecord> {
  const server = normalizeServer(options.server)
  const realm = checkRealmName(options.realm)
  const emit = (event: LoginProgress) => options.onProgress?.(event)
  const {signal} = options
  if (signal?.aborted) throw new AbortedError('Login cancelled.')

  const client =
    options.client ??
    new PveClient({server: options.loginNode ?? server, tls: options.tls, timeoutMs: options.requestTimeoutMs, env: options.env})
  let listener: LoopbackListener | undefined
  try {
    emit({type: 'checking-realm', server: client.server, realm})
    checkRealm(await listRealms(client, signal), realm, client.server)

    // Bind before auth-url: the redirect URL must name the port we really hold.
    listener = await LoopbackListener.listen({
      ports: options.ports,
      redirectHost: options.redirectHost,
      onRejected: (reason) => emit({type: 'callback-rejected', source: 'browser', reason}),
    })
    const redirectUrl = listener.redirectUrl
    emit({type: 'listening', redirectUrl})

    const idpUrl = await startLogin(client, realm, redirectUrl, signal)
    listener.expectState(readPveState(idpUrl, realm))

    const shown = await showBrowser(idpUrl, listener, options, emit)
    const browserOpened = shown.opened
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS
    emit({type: 'waiting', url: shown.url, deadline: new Date(Date.now() + timeoutMs)})
    const callback = await waitForCallback({
      listener,
      pasteInput: options.pasteInput,
      timeoutMs,
      signal,
      onPasteRejected: (reason) => emit({type: 'callback-rejected', source: 'paste', reason}),
      // Fixed ports can be reached through an SSH forward set up in advance; a random one only by pasting.
      pasteIsTheOnlyWayBack: !browserOpened && options.ports === undefined,
    })

    emit({type: 'exchanging'})
    let ticket: TicketResponse
    try {
      ticket = await client.completeLogin({code: callback.code, state: callback.state, redirectUrl}, signal)
    } catch (error) {
      listener.finish(loginFailedPage(error instanceof PveApiError && error.status === 401 ? 'Proxmox VE refused the login.' : 'Proxmox VE could not complete the login.'))
      throw explainLoginFailure(error, realm, server)
    }
    listener.finish(signedInPage({username: ticket.username, server, ...(ticket.clustername ? {clusterName: ticket.clustername} : {})}))
    const now = new Date()
    const ticketIssuedAt = parseTicket(ticket.ticket)?.issuedAt
    const offset = measureClockOffset(now, {ticketIssuedAt, dateHeader: client.lastAnswer?.dateHeader})
    return {
      server,
      realm,
      username: ticket.username,
      ticket: ticket.ticket,
      csrfToken: ticket.CSRFPreventionToken,
      ...(ticket.clustername ? {clusterName: ticket.clustername} : {}),
      issuedAt: (ticketIssuedAt ?? new Date(now.getTime() + (offset ?? 0) * 1000)).toISOString(),
      loginAt: now.toISOString(),
      ...(offset ? {clockOffsetSeconds: offset} : {}),
      ...(client.trust.mode === 'pin' ? {tlsPin: client.trust.fingerprint} : {}),
    }
  } finally {
    await listener?.close()
    if (!options.client) await client.close()
  }
}

function checkRealmName(realm: string): string {
  // PVE's own rule (format pve-realm, at most 32 characters); anything else would only earn a 400 later.
  if (!REALM_PATTERN.test(realm) || realm.length > 32) {
    throw new InvalidInputError(`${JSON.stringify(realm)} is not a PVE realm name.`, {
      hint: 'A realm name starts with a letter, has at least two characters out of letters, digits, ".", "-" and "_", and at most 32.',
    })
  }
  return realm
}

function checkRealm(realms: PveRealm[], realm: string, server: string): void {
  const openid = realms.filter((r) => r.type === 'openid').map((r) => r.realm)
  const found = realms.find((r) => r.realm === realm)
  if (found?.type === 'openid') return
  const listing = openid.length
    ? `OpenID realms on this server: ${openid.join(', ')}.`
    : 'This server has no OpenID realm; an administrator can add one (see docs/login.md).'
  const message = found
    ? `Realm ${realm} on ${server} is a ${found.type || 'non-OpenID'} realm, not an OpenID realm.`
    : `Realm ${realm} does not exist on ${server}.`
  throw new RealmError(message, openid, {hint: found ? `pve-login only logs in through OpenID realms. ${listing}` : listing})
}

async function listRealms(client: LoginClient, signal: AbortSignal | undefined): Promise<PveRealm[]> {
  try {
    return await client.domains(signal)
  } catch (error) {
    if (!(error instanceof PveApiError) || error.status !== 500 || error.hint) throw error
    // The realm list needs no login and reads only PVE's own configuration: a 500 here is the node's trouble.
    throw new PveApiError(error.status, error.pveMessage, error.errors, {
      hint:
        'PVE could not list its realms, which needs nothing but its own configuration: the node is not well (a full disk, ' +
        'a stuck pmxcfs: `systemctl status pve-cluster pveproxy`, `journalctl -u pveproxy`). Try again in a minute or use another node.',
      cause: error,
    })
  }
}

async function startLogin(client: LoginClient, realm: string, redirectUrl: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await client.authUrl(realm, redirectUrl, signal)
  } catch (error) {
    if (error instanceof PveApiError && error.status === 501) {
      // auth-url came with the OpenID realms in pve-access-control 7.0 (PVE 7.0): an older PVE has no such call.
      throw new PveApiError(error.status, error.pveMessage, error.errors, {hint: 'This PVE has no OpenID login API: OpenID realms need PVE 7.0 or later.', cause: error})
    }
    if (!(error instanceof PveApiError) || error.status !== 500) throw error
    // The realm was fine a moment ago; PVE failed while talking to the IdP (discovery, JWKS) or storing the state.
    throw new PveApiError(error.status, error.pveMessage, error.errors, {
      hint:
        'PVE fetches the identity provider\'s discovery document and keys for every login. Check the realm\'s issuer-url ' +
        '(`pveum realm list`), that the node can reach the IdP (datacenter.cfg http_proxy if it needs a proxy), ' +
        'and `journalctl -u pvedaemon` on the node.',
      cause: error,
    })
  }
}

/**
 * PVE's `state` is its JSON `{"csrf_token":…,"realm":…}`, sent through the IdP and back. Reading it here lets the
 * listener refuse any callback that does not carry exactly this state, and checks PVE started the realm we asked for.
 */
export function readPveState(idpUrl: string, realm: string): string {
  const fail = (why: string) => new PveApiError(200, `PVE's auth-url answer is not usable: ${why}`)
  let url: URL
  try {
    url = new URL(idpUrl)
  } catch {
    throw fail('it is not a URL')
  }
  // It goes to a browser launcher as an argument: only web URLs, nothing a launcher could read as a file or option.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`it is a ${url.protocol} URL`)
  const states = url.searchParams.getAll('state')
  if (states.length !== 1) throw fail('it does not carry exactly one state')
  let parsed: unknown
  try {
    parsed = JSON.parse(states[0]!)
  } catch {
    throw fail('its state is not the JSON PVE sends')
  }
  const fields = parsed as {csrf_token?: unknown; realm?: unknown} | null
  if (typeof fields?.csrf_token !== 'string' || typeof fields.realm !== 'string') throw fail('its state lacks csrf_token or realm')
  if (fields.realm !== realm) throw fail(`its state names realm ${fields.realm}, not ${realm}`)
  return states[0]!
}

/**
 * Opens the browser at a one-time start URL for `url` (the IdP URL), or reports the IdP URL for the person to open
 * when no browser can be started here. Says which URL was shown and whether a browser opened.
 */
async function showBrowser(url: string, listener: LoopbackListener, options: LoginOptions, emit: (event: LoginProgress) => void): Promise<{opened: boolean; url: string}> {
  const env = options.env ?? process.env
  let open: ((url: string) => Promise<void> | void) | undefined
  let unavailable = 'opening a browser was turned off'
  if (options.openBrowser) {
    open = options.openBrowser
  } else if (options.openBrowser === undefined) {
    if (options.browserCommand !== undefined || canOpenBrowser(env)) {
      open = (target) => openWithSystemBrowser(target, {browserCommand: options.browserCommand, env})
    } else {
      unavailable = 'no display here (SSH session or no DISPLAY/WAYLAND_DISPLAY); set BROWSER to override'
    }
  }
  if (!open) {
    emit({type: 'browser-unavailable', url, reason: unavailable})
    return {opened: false, url}
  }
  const startUrl = listener.startAt(url)
  try {
    await open(startUrl)
    emit({type: 'browser-opened', url: startUrl})
    return {opened: true, url: startUrl}
  } catch (error) {
    listener.cancelStart()
    // A misspelt browser command is the person's to fix; anything else just means "show the URL".
    if (error instanceof InvalidInputError) throw error
    emit({type: 'browser-unavailable', url, reason: `the browser could not be started (${(error as Error).message})`})
    return {opened: false, url}
  }
}

/** PVE says only "authentication failure"; the likely reasons, most likely first, are ours to give. */
function explainLoginFailure(error: unknown, realm: string, server: string): unknown {
  if (!(error instanceof PveApiError) || error.status !== 401) return error
  return new AuthenticationFailedError(`PVE refused the login through realm ${realm} (401 ${error.pveMessage}); PVE does not say why, the node's log does.`, {
    cause: error,
    advice: {kind: 'login-refused', realm, server},
  })
}
