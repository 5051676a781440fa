import type {Notice} from '../advice.js'
import type {LoginOptions} from '../login/login-flow.js'
import type {Session} from './session.js'
import type {SettingsInput} from './settings.js'

export interface SessionLogger {
  /**
   * A warning for a person, in the library's words. `notice` carries its facts when the text names a setting, so a
   * caller with other words for settings (the CLI's flags) can say it its own way.
   */
  warn(message: string, notice?: Notice): void
  /** Plain information (where tickets are kept, when that is decided), with its facts as for warn; warn is used when absent. */
  info?(message: string, notice?: Notice): void
  /** Low-level words behind a message (a keychain library's error text), for a debug mode; dropped when absent. */
  debug?(message: string): void
}

/** The browser login's options that getSession passes on as they are; LoginOptions documents each. */
type LoginStepOptions = Pick<
  LoginOptions,
  'loginNode' | 'ports' | 'redirectHost' | 'timeoutMs' | 'requestTimeoutMs' | 'signal' | 'openBrowser' | 'browserCommand' | 'pasteInput' | 'onProgress'
>

/**
 * getSession's options: where to log in (SettingsInput: server, realm, profile, store, tls, env), the browser login's
 * own options (LoginOptions, when a login is needed; `requestTimeoutMs` and `signal` also bound renewals and the
 * Session's requests), and what decides whether a login happens.
 */
export interface SessionOptions extends SettingsInput, LoginStepOptions {
  /**
   * May a browser login start when no cached or renewable ticket exists? Default: only when stdin and stderr are
   * terminals, so a background job never opens a browser.
   */
  interactive?: boolean
  /** Renew (or log in) when the ticket has fewer seconds of use left than this. Default DEFAULT_MIN_VALID_SECONDS (3600). */
  minValidSeconds?: number
  /**
   * No silent renewal once the browser login behind the session is this old (seconds): then a browser login is
   * needed (or LoginRequiredError when not interactive), so a change at the identity provider takes effect. The
   * cached ticket is still used while it is valid. Default: no limit.
   */
  maxSessionSeconds?: number
  /** Log in through the browser even when a usable ticket exists. */
  forceLogin?: boolean
  /** Told about things a person should know (fallbacks, clock skew, another process logging in). */
  logger?: SessionLogger
  keychainTimeoutMs?: number
  /**
   * A process that logs in or renews holds a lock per server and realm; one killed with -9 leaves it behind, and the
   * others take it over once it has not been refreshed for this long, in ms (at least 2000). Default 10 000.
   * Processes that share sessions should agree on it: a holder refreshes the lock every half of its own value.
   */
  lockStaleMs?: number
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
