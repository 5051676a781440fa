import {promises as fs, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {parseSessionRecord, type SessionKey, type SessionRecord} from '../session/session-record.js'
import {readPrivateFile, UnreadableFileError, writePrivateFileAtomic} from './private-file.js'
import {listingFor, sessionAccount, type StoreListing, type TicketStore} from './ticket-store.js'

const SUFFIX = '.json'
/** A session is a few hundred bytes; anything far larger was not written by pve-login. */
const MAX_SESSION_FILE_BYTES = 64 * 1024

/**
 * One mode-0600 JSON file per session under `<stateDir>/sessions/`. One file each (not one shared file) because
 * locks are per server and realm: two processes working on different sessions must not overwrite each other.
 * Entries pve-login did not write (a folder, a symlink, a FIFO, a name it would not encode) are skipped and
 * reported as stray, never followed and never fatal.
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
      // Synchronous like the reads that follow (src/store/private-file.ts): a cached `env` lists this folder.
      names = readdirSync(this.directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {records: [], corrupt: [], stray: []}
      throw error
    }
    const listing: StoreListing = {records: [], corrupt: [], stray: []}
    for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort()) {
      const account = accountOf(name)
      if (account === undefined) {
        listing.stray!.push(`${JSON.stringify(name)} (not a name pve-login writes)`)
        continue
      }
      let text: string | undefined
      try {
        // Removed by a concurrent logout between readdir and the read: undefined.
        text = await readPrivateFile(join(this.directory, name), MAX_SESSION_FILE_BYTES)
      } catch (error) {
        if (!(error instanceof UnreadableFileError)) throw error
        listing.stray!.push(`${JSON.stringify(name)} (${error.reason})`)
        continue
      }
      if (text === undefined) continue
      const record = parseSessionRecord(text)
      if (record) listing.records.push(record)
      else listing.corrupt.push(account)
    }
    return listing
  }

  async find(key: SessionKey): Promise<StoreListing> {
    return listingFor(await this.list(), key)
  }

  /** The session stored under this account: one file read. */
  async get(account: string): Promise<StoreListing> {
    let text: string | undefined
    try {
      text = await readPrivateFile(this.pathOf(account), MAX_SESSION_FILE_BYTES)
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error
      return {records: [], corrupt: [], stray: [`${JSON.stringify(encodeURIComponent(account) + SUFFIX)} (${error.reason})`]}
    }
    if (text === undefined) return {records: [], corrupt: []}
    const record = parseSessionRecord(text)
    return record ? {records: [record], corrupt: []} : {records: [], corrupt: [account]}
  }

  async save(record: SessionRecord): Promise<void> {
    await writePrivateFileAtomic(this.pathOf(sessionAccount(record)), JSON.stringify(record, null, 2) + '\n')
  }

  async remove(account: string): Promise<boolean> {
    try {
      await fs.rm(this.pathOf(account))
      return true
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return false
      // A folder under a session's name is not ours to delete.
      if (code === 'EISDIR' || code === 'ERR_FS_EISDIR') return false
      throw error
    }
  }

  private pathOf(account: string): string {
    return join(this.directory, encodeURIComponent(account) + SUFFIX)
  }
}

/** The words for entries FileStore skipped, for a warning. */
export function strayWarning(stray: readonly string[]): string {
  return `Skipping ${stray.length === 1 ? 'an entry' : `${stray.length} entries`} in the sessions folder that pve-login did not write: ${stray.join(', ')}.`
}

/** The account a file name stands for; undefined when pve-login would not have written that name. */
function accountOf(name: string): string | undefined {
  let account: string
  try {
    account = decodeURIComponent(name.slice(0, -SUFFIX.length))
  } catch {
    return undefined
  }
  return account !== '' && encodeURIComponent(account) + SUFFIX === name ? account : undefined
}
