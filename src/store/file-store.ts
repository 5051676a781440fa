import {readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {parseSessionRecord, type SessionRecord} from '../session/session-record.js'
import {writePrivateFileAtomic} from './private-file.js'
import {sessionAccount, type StoreListing, type TicketStore} from './ticket-store.js'

const SUFFIX = '.json'

/**
 * One mode-0600 JSON file per session under `<stateDir>/sessions/`. One file each (not one shared file) because
 * locks are per server and realm: two processes working on different sessions must not overwrite each other.
 */
export class FileStore implements TicketStore {
  readonly kind = 'file' as const
  readonly location: string

  constructor(private readonly directory: string) {
    this.location = directory
  }

  async list(): Promise<StoreListing> {
    let names: string[]
    try {
      names = await readdir(this.directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {records: [], corrupt: []}
      throw error
    }
    const listing: StoreListing = {records: [], corrupt: []}
    for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort()) {
      const account = decodeURIComponent(name.slice(0, -SUFFIX.length))
      let text: string
      try {
        text = await readFile(join(this.directory, name), 'utf8')
      } catch (error) {
        // Removed by a concurrent logout between readdir and readFile.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw error
      }
      const record = parseSessionRecord(text)
      if (record) listing.records.push(record)
      else listing.corrupt.push(account)
    }
    return listing
  }

  async save(record: SessionRecord): Promise<void> {
    await writePrivateFileAtomic(this.pathOf(sessionAccount(record)), JSON.stringify(record, null, 2) + '\n')
  }

  async remove(account: string): Promise<boolean> {
    try {
      await rm(this.pathOf(account))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  private pathOf(account: string): string {
    return join(this.directory, encodeURIComponent(account) + SUFFIX)
  }
}
