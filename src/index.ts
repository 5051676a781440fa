/**
 * pve-login as a library: `import {getSession} from 'pve-login'`. docs/library.md describes it.
 *
 * Every name is listed on purpose: what is exported here is the public API and keeps its meaning across minor
 * versions; the modules behind it are free to change. Importing this module loads no HTTP stack, no keychain binding
 * and never the CLI framework (@oclif/core): those load on first use, so a script that only reads a cached ticket
 * starts fast (test/library-import.test.ts checks it).
 */
export {getSession, login} from './session/get-session.js'
export {logout, type LogoutOptions} from './session/logout.js'
export {DEFAULT_MIN_VALID_SECONDS, RENEW_BEFORE_SECONDS} from './session/renewal-policy.js'
export {Session} from './session/session.js'
// The numbers from their own module: the one that mints tokens loads node:crypto, which a cached read does not need.
export {API_TOKEN_ID_PREFIX, DEFAULT_API_TOKEN_TTL_SECONDS, MAX_API_TOKEN_TTL_SECONDS} from './session/api-token-limits.js'
export type {ApiToken, ApiTokenAcl, ApiTokenMarker, ApiTokenOptions, ListedApiToken} from './session/api-token.js'
export type {
  KeepAliveOptions,
  LoginSessionOptions,
  SessionLogger,
  SessionOptions,
  SessionRequestOptions,
  SessionSource,
} from './session/session-options.js'
export type {LoginProgress} from './login/login-flow.js'
export {runDoctor} from './doctor/doctor-entry.js'
export type {CheckId, CheckResult, CheckStatus, DoctorFix, DoctorReport, IdpKind, RealmFacts, RealmSettings} from './doctor/doctor-check.js'
export type {DoctorOptions} from './doctor/run-doctor.js'
export type {PveParams} from './pve/pve-client.js'
export type {SessionRecord, StoredApiToken} from './session/session-record.js'
export type {SettingsInput} from './session/settings.js'
export type {StoreChoice} from './store/open-store.js'
export type {StoreKind} from './store/ticket-store.js'
export type {TlsOptions} from './pve/tls.js'
export {
  AbortedError,
  ApiTokenError,
  type ApiTokenErrorCode,
  AuthenticationFailedError,
  IdpError,
  InvalidInputError,
  isPveLoginError,
  LoginInterceptedError,
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
  UnsafeStateError,
  type PveLoginErrorCode,
  type PveLoginErrorOptions,
} from './errors.js'

// Lower-level pieces for callers that manage sessions themselves: one interactive login without cache or lock
// (`login` above is the session-aware one most callers want), and the PVE HTTP client with its TLS trust. The
// listener, callback waiting and browser launching stay internal: they are free to change.
export {browserLogin} from './login/browser-login-entry.js'
export type {LoginClient, LoginOptions} from './login/login-flow.js'
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  PveClient,
  type CompleteLoginParams,
  type PveClientOptions,
  type PveRealm,
  type PveRequestOptions,
  type TicketResponse,
} from './pve/pve-client.js'
export type {HostLookup} from './pve/pve-dispatcher.js'
export {normalizeServer, PVE_DEFAULT_PORT} from './pve/server-url.js'
export {normalizeFingerprint, type TlsTrust} from './pve/tls.js'
