import type {Advice} from '../advice.js'
import {StoreUnavailableError} from '../errors.js'
import {parseSessionRecord, type SessionRecord} from '../session/session-record.js'
import {KEYCHAIN_SERVICE, sessionAccount, type StoreListing, type TicketStore} from './ticket-store.js'

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 3000

type KeyringModule = typeof import('@napi-rs/keyring')

/**
 * Sessions as OS keychain items (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through
 * @napi-rs/keyring: service `pve-login`, account `<userid>@<host:port>`, the secret is the session JSON.
 * Every call is bounded: an absent, locked or hung Secret Service must fail in seconds, never hang a script.
 */
export class KeychainStore implements TicketStore {
  readonly kind = 'keychain' as const
  readonly location = `the OS keychain (service "${KEYCHAIN_SERVICE}")`
  private keyring: Promise<KeyringModule> | undefined

  constructor(private readonly timeoutMs: number = DEFAULT_KEYCHAIN_TIMEOUT_MS) {}

  async list(): Promise<StoreListing> {
    const {findCredentialsAsync} = await this.module()
    const credentials = await this.bounded('read', (signal) => findCredentialsAsync(KEYCHAIN_SERVICE, undefined, signal))
    const listing: StoreListing = {records: [], corrupt: []}
    for (const {account, password} of credentials) {
      const record = parseSessionRecord(password)
      if (record) listing.records.push(record)
      else listing.corrupt.push(account)
    }
    return listing
  }

  async save(record: SessionRecord): Promise<void> {
    const {AsyncEntry} = await this.module()
    const entry = new AsyncEntry(KEYCHAIN_SERVICE, sessionAccount(record))
    await this.bounded('write', (signal) => entry.setPassword(JSON.stringify(record), signal))
  }

  async remove(account: string): Promise<boolean> {
    const {AsyncEntry} = await this.module()
    const entry = new AsyncEntry(KEYCHAIN_SERVICE, account)
    return this.bounded('delete', (signal) => entry.deleteCredential(signal))
  }

  private module(): Promise<KeyringModule> {
    this.keyring ??= import('@napi-rs/keyring')
    return this.keyring
  }

  private async bounded<T>(operation: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort()
        reject(new StoreUnavailableError(`The keychain did not answer a ${operation} within ${this.timeoutMs / 1000} s.`, {advice: keychainAdvice(), store: 'keychain'}))
      }, this.timeoutMs)
      timer.unref()
    })
    try {
      return await Promise.race([call(controller.signal), timeout])
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error
      throw new StoreUnavailableError(`The keychain refused a ${operation}: ${(error as Error).message}`, {advice: keychainAdvice(), store: 'keychain', cause: error})
    } finally {
      clearTimeout(timer)
    }
  }
}

function keychainAdvice(): Advice {
  return {kind: 'keychain-unavailable', platform: process.platform}
}
