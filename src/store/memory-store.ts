import type {SessionRecord} from '../session/session-record.js'
import type {SessionKey} from '../session/session-record.js'
import {listingFor, sessionAccount, type StoreListing, type TicketStore} from './ticket-store.js'

/** `--store none`: nothing outlives the process. The session is printed or handed to a child, then forgotten. */
export class MemoryStore implements TicketStore {
  readonly kind = 'none' as const
  readonly location = 'memory only (nothing is kept)'
  private readonly records = new Map<string, SessionRecord>()

  async list(): Promise<StoreListing> {
    return {records: [...this.records.values()], corrupt: []}
  }

  async find(key: SessionKey): Promise<StoreListing> {
    return listingFor(await this.list(), key)
  }

  async save(record: SessionRecord): Promise<void> {
    this.records.set(sessionAccount(record), record)
  }

  async remove(account: string): Promise<boolean> {
    return this.records.delete(account)
  }
}
