/** pve-login as a library. Each block lists one area's public API. */

// The login flow and PVE HTTP client, for callers that manage sessions themselves. `browserLogin` is one interactive
// login (no cache, no lock); `login` above is the session-aware one most callers want.
export {login as browserLogin, readPveState, type LoginClient, type LoginOptions} from './login.js'
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
export {browserOpener, canOpenBrowser, openBrowser, type OpenBrowserOptions} from './browser.js'
export {LoopbackListener, type AcceptedCallback, type LoopbackListenerOptions} from './loopback-listener.js'
export {DEFAULT_CALLBACK_TIMEOUT_MS, waitForCallback, type CallbackResult, type WaitForCallbackOptions} from './callback-wait.js'
