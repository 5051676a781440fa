import {join} from 'node:path'

import type {Notice} from '../advice.js'
import {InvalidInputError, StoreUnavailableError} from '../errors.js'
import type {SessionRecord} from '../session/session-record.js'
import {FileStore} from './file-store.js'
import {DEFAULT_KEYCHAIN_TIMEOUT_MS, KeychainStore} from './keychain-store.js'
import {MemoryStore} from './memory-store.js'
import type {StoreKind, StoreListing, TicketStore} from './ticket-store.js'

export type StoreChoice = StoreKind | 'auto'

/** Why the keychain was given up (the error's message), and where the file store keeps tickets instead. */
export type StoreFallback = Omit<Extract<Notice, {kind: 'store-fallback'}>, 'kind'>

export interface OpenStoreOptions {
  /** `auto` (the default) is the keychain, falling back to the file store when the keychain cannot be used. */
  choice?: StoreChoice
  stateDir: string
  keychainTimeoutMs?: number
  /** Told once when `auto` falls back to the file store: why, and where tickets go instead. */
  onFallback?: (fallback: StoreFallback) => void
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
  const file = () => new FileStore(sessionsDirectory(options.stateDir))
  const keychain = () => new KeychainStore(options.keychainTimeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS)
  switch (options.choice ?? 'auto') {
    case 'keychain':
      return keychain()
    case 'file':
      return file()
    case 'none':
      return new MemoryStore()
    case 'auto':
      return new FallbackStore(keychain(), file(), options.onFallback)
  }
}

/**
 * The keychain while it works; the file store from the first keychain failure on, for the rest of the process,
 * with one message saying why. Only StoreUnavailableError triggers the switch: anything else is a real error.
 */
class FallbackStore implements TicketStore {
  private active: TicketStore
  private fellBack = false

  constructor(private readonly preferred: TicketStore, private readonly fallback: TicketStore, private readonly onFallback?: (fallback: StoreFallback) => void) {
    this.active = preferred
  }

  get kind(): StoreKind {
    return this.active.kind
  }

  get location(): string {
    return this.active.location
  }

  list(): Promise<StoreListing> {
    return this.attempt((store) => store.list())
  }

  save(record: SessionRecord): Promise<void> {
    return this.attempt((store) => store.save(record))
  }

  remove(account: string): Promise<boolean> {
    return this.attempt((store) => store.remove(account))
  }

  private async attempt<T>(operation: (store: TicketStore) => Promise<T>): Promise<T> {
    if (this.fellBack) return operation(this.active)
    try {
      return await operation(this.preferred)
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      this.fellBack = true
      this.active = this.fallback
      this.onFallback?.({reason: error.message, location: this.fallback.location})
      return operation(this.active)
    }
  }
}
