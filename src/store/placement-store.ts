import {StoreUnavailableError} from '../errors.js'
import type {SessionKey, SessionRecord} from '../session/session-record.js'
import type {FileStore} from './file-store.js'
import type {StoreFallback} from './open-store.js'
import {keychainProblem, keychainVerdictOf, type KeychainOutcome, type KeychainStore} from './keychain-store.js'
import type {IndexEntry, KeychainState, KeychainVerdict, PlacedIn, SessionIndex} from './session-index.js'
import {parseSessionRecord} from '../session/session-record.js'
import {freshest, listingFor, sessionAccount, type SaveContext, type StoreKind, type StoreListing, type TicketStore} from './ticket-store.js'

/** Something a person should know about where tickets are kept: plain words, and the keychain's own for --debug. */
export interface StoreNotice {
  message: string
  detail?: string
}

export interface PlacementStoreOptions {
  /** Told where tickets go instead of the keychain, when that is decided or changes, and at logins. */
  onFallback?: (fallback: StoreFallback) => void
  /** list() also finds out (cheaply) whether the keychain would take tickets, and tells onFallback when not. */
  probeOnList?: boolean
  /** `--store keychain`: a keychain failure is an error, never a move to the file store. */
  keychainOnly: boolean
  keychain: KeychainStore
  file: FileStore
  index: SessionIndex
  /** The session bus address now: a keychain decision made on another bus is made again. */
  bus: string
  onNotice?: (notice: StoreNotice) => void
  onWarning?: (notice: StoreNotice) => void
}

/**
 * The one place that decides where a session lives: the OS keychain where it takes writes, else the file store,
 * and the index (src/store/session-index.ts) records which, per server and realm. Readers follow the index, so a
 * keychain that reads but refuses writes cannot hide a session the login kept in a file; a cached read costs one
 * index file and one keychain lookup (or one file). "No keychain here" is decided when a ticket is saved, kept per
 * machine and bus, said when it is decided or changes and at logins, and otherwise not repeated. A keychain that
 * appears later (tried at every login, and at renewals unless it was absent or unresponsive on this same bus) is
 * used again: each file session moves into it at its next save, and until then both are read.
 */
export class PlacementStore implements TicketStore {
  private lastKind: PlacedIn = 'keychain'

  constructor(private readonly options: PlacementStoreOptions) {}

  get kind(): StoreKind {
    return this.lastKind
  }

  get location(): string {
    return this.lastKind === 'keychain' ? this.options.keychain.location : this.options.file.location
  }

  async find(key: SessionKey): Promise<StoreListing> {
    const entry = await this.options.index.read(key).catch(() => undefined)
    if (entry) {
      const placed = await this.readPlaced(entry)
      if (placed) return placed
    }
    if (this.options.keychainOnly) return {records: [], corrupt: []}
    // Not in the index (a session from before it, or a damaged index entry): the file store knows its own.
    const files = listingFor(await this.options.file.list(), key)
    const newest = freshest(files.records)
    if (newest) {
      this.lastKind = 'file'
      await this.options.index.write({server: key.server, realm: key.realm, account: sessionAccount(newest), store: 'file'}).catch(() => {})
    }
    return files
  }

  async list(): Promise<StoreListing> {
    if (this.options.probeOnList && !this.options.keychainOnly) await this.probe()
    const listing: StoreListing = {records: [], corrupt: [], stray: [], placedIn: new Map()}
    const seen = new Set<string>()
    for (const entry of await this.options.index.all()) {
      if (this.options.keychainOnly && entry.store !== 'keychain') continue
      const placed = await this.readPlaced(entry)
      if (!placed) continue
      this.merge(listing, placed, entry.store, seen)
    }
    if (this.options.keychainOnly) return listing
    // File sessions the index does not name (older ones, or a lost index entry) are sessions all the same.
    const files = await this.options.file.list()
    files.records = files.records.filter((record) => !seen.has(placeKey(record)))
    files.corrupt = files.corrupt.filter((account) => !listing.corrupt.includes(account))
    this.merge(listing, files, 'file', seen)
    return listing
  }

  async save(record: SessionRecord, context: SaveContext = {reason: 'renewal'}): Promise<void> {
    const {index, keychain, file} = this.options
    const key = {server: record.server, realm: record.realm}
    const account = sessionAccount(record)
    const entry: IndexEntry = {...key, account, store: 'keychain'}
    if (this.options.keychainOnly) {
      const outcome = await keychain.set(account, JSON.stringify(record))
      if (outcome.kind !== 'answer') throw this.unavailable('store the ticket', outcome)
      await index.write(entry)
      this.lastKind = 'keychain'
      return
    }

    const state = await index.keychainState()
    const sameBus = state?.bus === this.options.bus
    // A renewal (in a script's `env`, say) does not wait for a keychain that was not there or did not answer on
    // this bus; a login tries again, so a keychain that appears later is found.
    const skipKeychain = context.reason !== 'login' && sameBus && (state?.verdict === 'absent' || state?.verdict === 'unresponsive')
    let verdict: KeychainVerdict = state?.verdict ?? 'absent'
    let detail: string | undefined = state?.detail
    if (!skipKeychain) {
      const outcome = await keychain.set(account, JSON.stringify(record))
      if (outcome.kind === 'answer') {
        await index.write(entry)
        this.lastKind = 'keychain'
        // Moved into the keychain: the file copy would only go stale.
        await file.remove(account).catch(() => false)
        await this.decided(state, {verdict: 'usable', bus: this.options.bus, decidedAt: new Date().toISOString()}, context)
        return
      }
      verdict = keychainVerdictOf(outcome) ?? 'refuses-writes'
      detail = outcome.kind === 'refused' ? outcome.detail : undefined
    }
    await file.save(record)
    await index.write({...entry, store: 'file'})
    this.lastKind = 'file'
    if (!skipKeychain) {
      await this.decided(state, {verdict, detail, bus: this.options.bus, decidedAt: new Date().toISOString()}, context)
    }
  }

  async remove(account: string): Promise<boolean> {
    const {index, keychain, file} = this.options
    let removed = false
    for (const entry of (await index.all()).filter((candidate) => candidate.account === account)) {
      if (entry.store === 'keychain') {
        const outcome = await keychain.delete(account)
        if (outcome.kind !== 'answer') throw this.unavailable('delete the session', outcome)
        removed = outcome.value || removed
      }
      await index.remove(entry)
    }
    if (!this.options.keychainOnly) removed = (await file.remove(account)) || removed
    return removed
  }

  /** Would the keychain take a ticket here? What was decided on this bus, else one lookup of an item no one has. */
  private async probe(): Promise<void> {
    const state = await this.options.index.keychainState()
    let verdict: KeychainVerdict
    let detail: string | undefined
    if (state && state.bus === this.options.bus) {
      verdict = state.verdict
      detail = state.detail
    } else {
      const outcome = await this.options.keychain.get('pve-login-probe')
      verdict = keychainVerdictOf(outcome) ?? 'usable'
      detail = outcome.kind === 'refused' ? outcome.detail : undefined
    }
    if (verdict === 'usable') return
    this.lastKind = 'file'
    this.options.onFallback?.({reason: keychainProblem(verdict, this.options.keychain.timeoutMs), location: this.options.file.location, ...(detail ? {detail} : {})})
  }

  /** The session the index points at; undefined when it is not there (any more) or cannot be read now. */
  private async readPlaced(entry: IndexEntry): Promise<StoreListing | undefined> {
    if (entry.store === 'file') {
      const listing = await this.options.file.get(entry.account)
      if (listing.records.length === 0 && listing.corrupt.length === 0 && (listing.stray ?? []).length === 0) return undefined
      this.lastKind = 'file'
      return listing
    }
    const outcome = await this.options.keychain.get(entry.account)
    if (outcome.kind !== 'answer') {
      if (this.options.keychainOnly) throw this.unavailable('read the session', outcome)
      const verdict = keychainVerdictOf(outcome)!
      const problem = verdict === 'refuses-writes' ? 'The OS keychain refused to read' : `${keychainProblem(verdict, this.options.keychain.timeoutMs)} when asked for`
      this.options.onWarning?.({message: `${problem} the session of ${entry.account}; it cannot be used now.`, detail: outcome.kind === 'refused' ? outcome.detail : undefined})
      return undefined
    }
    if (outcome.value === null) return undefined
    this.lastKind = 'keychain'
    const record = parseSessionRecord(outcome.value)
    return record ? {records: [record], corrupt: []} : {records: [], corrupt: [entry.account]}
  }

  private merge(into: StoreListing, from: StoreListing, store: PlacedIn, seen: Set<string>): void {
    for (const record of from.records) {
      seen.add(placeKey(record))
      into.records.push(record)
      into.placedIn!.set(record, store)
    }
    into.corrupt.push(...from.corrupt)
    into.stray!.push(...(from.stray ?? []))
  }

  private async decided(before: KeychainState | undefined, after: KeychainState, context: SaveContext): Promise<void> {
    const changed = before?.verdict !== after.verdict || before?.bus !== after.bus
    if (changed || before?.detail !== after.detail) await this.options.index.setKeychainState(after).catch(() => {})
    if (after.verdict === 'usable') {
      if (before && before.verdict !== 'usable') this.options.onNotice?.({message: 'The OS keychain takes tickets again; they are kept there from now on.'})
      return
    }
    if (!changed && context.reason !== 'login') return
    this.options.onFallback?.({reason: keychainProblem(after.verdict, this.options.keychain.timeoutMs), location: this.options.file.location, ...(after.detail ? {detail: after.detail} : {})})
  }

  private unavailable(doing: string, outcome: KeychainOutcome<unknown>): StoreUnavailableError {
    const verdict = keychainVerdictOf(outcome)!
    const detail = outcome.kind === 'refused' ? outcome.detail : undefined
    const message = verdict === 'refuses-writes' ? `The OS keychain refused to ${doing}.` : `${keychainProblem(verdict, this.options.keychain.timeoutMs)}.`
    return new StoreUnavailableError(message, {
      advice: {kind: 'keychain-unavailable', platform: process.platform},
      store: 'keychain',
      cause: detail === undefined ? undefined : new Error(detail),
    })
  }
}

function placeKey(record: SessionRecord): string {
  return `${sessionAccount(record)}\n${record.realm}`
}

