import {LIBRARY_WORDS, noticeText, type Notice} from '../advice.js'
import type {PveClient} from '../pve/pve-client.js'
import {openStore, type StoreNotice} from '../store/open-store.js'
import type {TicketStore} from '../store/ticket-store.js'
import type {SessionLogger, SessionOptions} from './session-options.js'
import type {Settings, StorageSettings} from './settings.js'

/** The store a session's settings name, with fallbacks reported through the logger. */
export function openSettingsStore(settings: StorageSettings, options: {keychainTimeoutMs?: number; logger?: SessionLogger; env?: NodeJS.ProcessEnv}): TicketStore {
  const logger = options.logger
  const tell = (say: ((message: string) => void) | undefined) => (notice: StoreNotice) => {
    say?.(notice.message)
    if (notice.detail) logger?.debug?.(`the keychain said: ${notice.detail}`)
  }
  return openStore({
    choice: settings.store,
    stateDir: settings.paths.stateDir,
    keychainTimeoutMs: options.keychainTimeoutMs,
    env: options.env,
    onFallback: (fallback) => {
      const notice: Notice = {kind: 'store-fallback', ...fallback}
      const text = noticeText(notice, LIBRARY_WORDS)
      if (logger?.info) logger.info(text, notice)
      else logger?.warn(text, notice)
      if (fallback.detail) logger?.debug?.(`the keychain said: ${fallback.detail}`)
    },
    onNotice: tell(logger && (logger.info ? (message) => logger.info!(message) : (message) => logger.warn(message))),
    onWarning: tell(logger && ((message) => logger.warn(message))),
  })
}

export function systemClock(): Date {
  return new Date()
}

/** The same server, trust and proxy environment as the login's client, so a Session reaches PVE the way the login did. */
export async function createClient(settings: Settings, options: Pick<SessionOptions, 'env' | 'requestTimeoutMs'>): Promise<PveClient> {
  return (await clientFactory(settings, options))()
}

/**
 * createClient for later: the TLS options are checked now (a bad fingerprint or CA file fails here, as with
 * createClient), but the client, and with it undici and its dispatcher, is built only when the factory is called.
 * A Session from the cache that is never used for a request (a script reading `session.ticket`) then costs no HTTP
 * stack: measured, building the client tripled the time of `import('pve-login') + getSession()` from the cache.
 */
export async function clientFactory(settings: Settings, options: Pick<SessionOptions, 'env' | 'requestTimeoutMs'>): Promise<() => PveClient> {
  const [{PveClient}, {resolveTlsTrust}] = await Promise.all([import('../pve/pve-client.js'), import('../pve/tls.js')])
  resolveTlsTrust(settings.tls)
  return () => new PveClient({server: settings.server, tls: settings.tls, env: options.env, timeoutMs: options.requestTimeoutMs})
}
