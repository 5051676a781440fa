import {join} from 'node:path'

import type {Notice} from '../advice.js'
import {InvalidInputError} from '../errors.js'
import {FileStore} from './file-store.js'
import {DEFAULT_KEYCHAIN_TIMEOUT_MS, KeychainStore} from './keychain-store.js'
import {MemoryStore} from './memory-store.js'
import {PlacementStore, type StoreNotice} from './placement-store.js'
import {SessionIndex} from './session-index.js'
import type {StoreKind, TicketStore} from './ticket-store.js'

export type StoreChoice = StoreKind | 'auto'
export type {StoreNotice} from './placement-store.js'

/** Why the keychain is not used (in words for a person), and where the file store keeps tickets instead. */
export type StoreFallback = Omit<Extract<Notice, {kind: 'store-fallback'}>, 'kind'>

export interface OpenStoreOptions {
  /** `auto` (the default) is the keychain, falling back to the file store when the keychain cannot be used. */
  choice?: StoreChoice
  stateDir: string
  keychainTimeoutMs?: number
  /**
   * Told where tickets go when it is not the keychain: when that is decided or changes (once per machine, not on
   * every command) and at every login. `detail` is the keychain's own error text.
   */
  onFallback?: (fallback: StoreFallback) => void
  /**
   * Asks the keychain, when listing, whether it would take tickets here (a cheap probe when nothing was decided
   * yet), and tells onFallback when not: for a report on the store (doctor), never for everyday commands.
   */
  probeOnList?: boolean
  /** Plain news about where tickets are kept (the keychain takes them again). */
  onNotice?: (notice: StoreNotice) => void
  /** Told when a session kept in the keychain cannot be read now (it did not answer, or refused). */
  onWarning?: (notice: StoreNotice) => void
  /** The environment whose DBUS_SESSION_BUS_ADDRESS names the keychain's bus. Default process.env. */
  env?: NodeJS.ProcessEnv
}

export function parseStoreChoice(value: string | undefined): StoreChoice {
  if (value === undefined || value === '') return 'auto'
  if (value === 'auto' || value === 'keychain' || value === 'file' || value === 'none') return value
  throw new InvalidInputError(`Unknown store "${value}".`, {advice: {kind: 'choose-store'}})
}

export function sessionsDirectory(stateDir: string): string {
  return join(stateDir, 'sessions')
}

export function openStore(options: OpenStoreOptions): TicketStore {
  const file = new FileStore(sessionsDirectory(options.stateDir))
  const choice = options.choice ?? 'auto'
  if (choice === 'file') return file
  if (choice === 'none') return new MemoryStore()
  return new PlacementStore({
    onFallback: options.onFallback,
    probeOnList: options.probeOnList ?? false,
    keychainOnly: choice === 'keychain',
    keychain: new KeychainStore(options.keychainTimeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS, (options.env ?? process.env)['DBUS_SESSION_BUS_ADDRESS']),
    file,
    index: new SessionIndex(options.stateDir),
    bus: (options.env ?? process.env)['DBUS_SESSION_BUS_ADDRESS'] ?? '',
    onNotice: options.onNotice,
    onWarning: options.onWarning,
  })
}
