import {InvalidInputError, PveLoginError, StoreUnavailableError} from '../errors.js'
import {PveClient} from '../pve/pve-client.js'
import {resolveSettingsIfChosen, type Settings, type SettingsInput} from '../session/settings.js'
import {openStore} from '../store/open-store.js'
import {CHECK_ORDER, type CheckId, type CheckResult, type DoctorReport} from './doctor-check.js'
import type {DoctorContext} from './doctor-context.js'
import {checkAuthorization, checkClientType, checkDiscovery, checkIdTokenSigning, checkPkce} from './idp-checks.js'
import {IdpHttp} from './idp-http.js'
import {checkBrowser, checkLoopback, checkStore} from './local-checks.js'
import {checkAuthUrl, checkClock, checkPveVersion, checkRealm, checkServer} from './pve-checks.js'

export interface DoctorOptions extends SettingsInput {
  /** The loopback ports a login would try (the login's `ports`). */
  ports?: number[]
  redirectHost?: '127.0.0.1' | 'localhost'
  /** The login's browser command, if one is given. */
  browserCommand?: string
  /** Limit per network request, in ms. Default 10 000. */
  requestTimeoutMs?: number
  keychainTimeoutMs?: number
  signal?: AbortSignal
  /** Told about each result as soon as it is known, in order. */
  onCheck?: (result: CheckResult) => void
  now?: () => Date
}

export const DEFAULT_DOCTOR_TIMEOUT_MS = 10_000

/** What each check needs to have passed (ok or warn) before it can run. */
const NEEDS: Partial<Record<CheckId, CheckId[]>> = {
  clock: ['server'],
  'pve-version': ['server'],
  realm: ['server'],
  'auth-url': ['realm'],
  discovery: ['auth-url'],
  pkce: ['discovery'],
  'id-token-signing': ['discovery'],
  authorization: ['auth-url'],
  'client-type': ['discovery'],
}

const RUN: Record<CheckId, (context: DoctorContext) => Promise<CheckResult> | CheckResult> = {
  server: checkServer,
  clock: checkClock,
  'pve-version': checkPveVersion,
  realm: checkRealm,
  'auth-url': checkAuthUrl,
  discovery: checkDiscovery,
  pkce: checkPkce,
  'id-token-signing': checkIdTokenSigning,
  authorization: checkAuthorization,
  'client-type': checkClientType,
  loopback: checkLoopback,
  store: checkStore,
  browser: checkBrowser,
}

/** Stand-in realm while resolving settings without one: only the server, TLS and store parts are used then. */
const NO_REALM = 'no-realm-chosen'

/**
 * `doctor`: checks, in order, everything a loopback login through a PVE OpenID realm depends on, and says for each
 * what is wrong and what would fix it. Each check stops the ones that depend on it. It reads with a cached ticket
 * when there is one but never creates a ticket: the only login it starts is auth-url, whose pending state PVE drops
 * after 10 minutes, and the token request it makes carries a made-up code.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const chosen = await resolveSettingsIfChosen(options)
  if (chosen === 'no server') {
    throw new InvalidInputError('No PVE server given, and none is remembered for this profile.', {
      hint: 'Name the server to check (the `server` option, or PVE_LOGIN_SERVER).',
    })
  }
  const settings: Settings = chosen === 'no realm' ? ((await resolveSettingsIfChosen({...options, realm: NO_REALM})) as Settings) : chosen
  const env = options.env ?? process.env
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS
  const client = new PveClient({server: settings.server, tls: settings.tls, timeoutMs, env})
  const idp = new IdpHttp({env, timeoutMs, ...(options.signal ? {signal: options.signal} : {})})
  let fallback: string | undefined
  const store = openStore({choice: settings.store, stateDir: settings.paths.stateDir, keychainTimeoutMs: options.keychainTimeoutMs, env, probeOnList: true, onFallback: (notice) => (fallback = notice.reason)})
  const context: DoctorContext = {
    settings,
    realm: chosen === 'no realm' ? undefined : settings.realm,
    env,
    signal: options.signal,
    timeoutMs,
    ports: options.ports,
    redirectHost: options.redirectHost ?? '127.0.0.1',
    browserCommand: options.browserCommand,
    now: options.now ?? (() => new Date()),
    client,
    idp,
    store,
    idpKind: 'generic',
  }
  context.listing = store.list().then(
    (listing) => ({listing, ...(fallback ? {fallback} : {})}),
    (error: unknown) => ({error: error instanceof StoreUnavailableError ? error : new StoreUnavailableError(String((error as Error).message ?? error))}),
  )

  const results: CheckResult[] = []
  const byId = new Map<CheckId, CheckResult>()
  try {
    for (const check of CHECK_ORDER) {
      const blocker = (NEEDS[check] ?? []).find((needed) => {
        const status = byId.get(needed)?.status
        return status !== 'ok' && status !== 'warn'
      })
      let result: CheckResult
      if (blocker) {
        result = {check, status: 'skip', detail: `Skipped: it needs the ${blocker} check to pass first.`}
      } else if (check === 'auth-url' && !context.realm) {
        result = {check, status: 'skip', detail: 'Skipped: no realm chosen.'}
      } else {
        try {
          result = await RUN[check](context)
        } catch (error) {
          if (error instanceof PveLoginError && error.code === 'ABORTED') throw error
          options.signal?.throwIfAborted()
          result = {check, status: 'fail', detail: error instanceof Error ? error.message : String(error)}
        }
      }
      byId.set(check, result)
      results.push(result)
      options.onCheck?.(result)
    }
  } finally {
    await Promise.allSettled([client.close(), idp.close()])
  }
  return {server: settings.server, realm: context.realm, results, failed: results.some((result) => result.status === 'fail')}
}
