/**
 * pve-login as a library: `import {getSession} from 'pve-login'`. docs/library.md describes it.
 *
 * Every name is listed on purpose: what is exported here is the public API and keeps its meaning across minor
 * versions; the modules behind it are free to change. Importing this module loads no HTTP stack, no keychain binding
 * and never the CLI framework (@oclif/core): those load on first use, so a script that only reads a cached ticket
 * starts fast (test/library-import.test.ts checks it).
 */
export {
  DEFAULT_MIN_VALID_SECONDS,
  getSession,
  loginSession as login,
  logout,
  RENEW_BEFORE_SECONDS,
  Session,
  type KeepAliveOptions,
  type LoginSessionOptions,
  type LogoutOptions,
  type SessionLogger,
  type SessionOptions,
  type SessionRequestOptions,
  type SessionSource,
} from './session.js'
export type {LoginProgress} from './login.js'
export type {PveParams} from './pve-client.js'
export type {SessionRecord} from './session-record.js'
export type {SettingsInput} from './settings.js'
export type {StoreChoice} from './store/open-store.js'
export type {StoreKind} from './store/ticket-store.js'
export type {TlsOptions} from './tls.js'
export {
  AbortedError,
  AuthenticationFailedError,
  IdpError,
  InvalidInputError,
  isPveLoginError,
  LoginRequiredError,
  PortInUseError,
  PveApiError,
  PveLoginError,
  RealmError,
  SessionCorruptError,
  StoreUnavailableError,
  TimeoutError,
  TlsVerificationError,
  UnreachableError,
  type PveLoginErrorCode,
  type PveLoginErrorOptions,
} from './errors.js'

// Lower-level pieces for callers that manage sessions themselves: one interactive login without cache or lock
// (`login` above is the session-aware one most callers want), and the PVE HTTP client with its TLS trust. The
// listener, callback waiting and browser launching stay internal: they are free to change.
export {login as browserLogin, type LoginClient, type LoginOptions} from './login.js'
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  PveClient,
  type CompleteLoginParams,
  type PveClientOptions,
  type PveRealm,
  type PveRequestOptions,
  type TicketResponse,
} from './pve-client.js'
export type {HostLookup} from './pve-dispatcher.js'
export {normalizeServer, PVE_DEFAULT_PORT} from './server-url.js'
export {normalizeFingerprint, type TlsTrust} from './tls.js'
