import type {Notice} from '../advice.js'
import type {LoginProgress} from '../login/login-flow.js'
import type {Session} from './session.js'
import type {SettingsInput} from './settings.js'

export interface SessionLogger {
  /**
   * A warning for a person, in the library's words. `notice` carries its facts when the text names a setting, so a
   * caller with other words for settings (the CLI's flags) can say it its own way.
   */
  warn(message: string, notice?: Notice): void
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
