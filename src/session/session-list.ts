/**
 * Every stored session, whatever its server and realm: what `pve-login status` shows. Reads only: it never renews,
 * never logs in and never loads the HTTP stack, so asking "am I logged in?" costs a store read.
 */
import type {SessionKey, SessionRecord} from './session-record.js'
import type {SessionLogger} from './session-options.js'
import {resolveSettingsIfChosen, resolveStorage, type SettingsInput} from './settings.js'
import {openSettingsStore} from './session-services.js'
export {strayWarning} from '../store/file-store.js'
import type {StoreKind} from '../store/ticket-store.js'

export interface ListSessionsOptions extends SettingsInput {
  keychainTimeoutMs?: number
  /** Told when the keychain cannot be used and the file store answers instead. */
  logger?: SessionLogger
}

/** What `listSessions` found. */
export interface SessionListing {
  records: SessionRecord[]
  /** Accounts whose stored content is not a session (damaged, or written by something else). */
  corrupt: string[]
  /** The store that answered (`file` after a keychain fallback), and where it keeps the data, in words. */
  store: StoreKind
  location: string
  /** Where each record lives, when sessions are in more than one store (keychain and file). */
  placedIn: Map<SessionRecord, StoreKind>
  /** Entries in the file store that are not sessions pve-login wrote, with why: skipped. */
  stray: string[]
  /** The server and realm that options, environment or the remembered profile select; undefined when none is set. */
  selected: SessionKey | undefined
}

/**
 * The sessions in the store that getSession would use with these options (the keychain, or the file store after a
 * fallback). A missing server or realm is not an error here, because the listing is useful without one; a bad
 * server address or profile name still is.
 */
export async function listSessions(options: ListSessionsOptions = {}): Promise<SessionListing> {
  const settings = await resolveSettingsIfChosen(options)
  const selected = typeof settings === 'string' ? undefined : {server: settings.server, realm: settings.realm}
  const storage = typeof settings === 'string' ? resolveStorage(options) : settings
  const store = openSettingsStore(storage, options)
  const {records, corrupt, placedIn, stray} = await store.list()
  return {records, corrupt, store: store.kind, location: store.location, placedIn: placedIn ?? new Map(), stray: stray ?? [], selected}
}

/** True when `record` belongs to the selected server and realm. */
export function isSelectedSession(record: Pick<SessionRecord, 'server' | 'realm'>, selected: SessionKey | undefined): boolean {
  return selected !== undefined && record.server === selected.server && record.realm === selected.realm
}
