import {portOf} from '../pve/server-url.js'
import type {SessionKey, SessionRecord} from '../session/session-record.js'

export type StoreKind = 'keychain' | 'file' | 'none'

/** What a store holds: the readable sessions, and the accounts whose content could not be read as a session. */
export interface StoreListing {
  records: SessionRecord[]
  corrupt: string[]
  /** Entries that are not sessions pve-login wrote (a folder named `x.json`, a badly encoded name), with why: skipped. */
  stray?: string[]
  /** Where each record was found, when a store keeps sessions in more than one place. */
  placedIn?: Map<SessionRecord, StoreKind>
}

/** Why a record is being saved: a login may try a keychain that earlier failed; a renewal does not wait for one. */
export interface SaveContext {
  reason: 'login' | 'renewal'
}

/** A place that keeps session records between runs. Implementations bound every call in time. */
export interface TicketStore {
  readonly kind: StoreKind
  /** Human words for where the data lives, e.g. `the Secret Service keychain` or a file path. */
  readonly location: string
  list(): Promise<StoreListing>
  /** The sessions of one server and realm (what getSession reads): for the keychain, one lookup. */
  find(key: SessionKey): Promise<StoreListing>
  save(record: SessionRecord, context?: SaveContext): Promise<void>
  /** Removes the entry for this account; false when there was none. */
  remove(account: string): Promise<boolean>
}

export const KEYCHAIN_SERVICE = 'pve-login'

/** `host:port` of a server origin, with the port always spelled out. */
export function serverAuthority(server: string): string {
  const url = new URL(server)
  return `${url.hostname}:${portOf(url)}`
}

/** The account name of a session's entry: `<userid>@<host:port>`, e.g. `alice@entra-cli@pve.example.com:8006`. */
export function sessionAccount(record: Pick<SessionRecord, 'username' | 'server'>): string {
  return `${record.username}@${serverAuthority(record.server)}`
}

/** The part of a listing that belongs to one server and realm. */
export function listingFor(listing: StoreListing, key: SessionKey): StoreListing {
  return {...listing, records: listing.records.filter((record) => record.server === key.server && record.realm === key.realm)}
}

/** The freshest readable session for a server and realm. */
export function findSession(listing: StoreListing, key: SessionKey): SessionRecord | undefined {
  return freshest(listing.records.filter((record) => record.server === key.server && record.realm === key.realm))
}

/**
 * The session with the newest ticket. Tickets carry whole seconds, so two logins (as different users) within one
 * second tie on issuedAt: the later browser login (loginAt, in milliseconds) is the fresher one then.
 */
export function freshest(records: readonly SessionRecord[]): SessionRecord | undefined {
  const time = (text: string | undefined) => (text === undefined ? 0 : Date.parse(text))
  return [...records].sort((a, b) => time(b.issuedAt) - time(a.issuedAt) || time(b.loginAt) - time(a.loginAt))[0]
}
