/**
 * Where each session lives, and what this machine's keychain did the last time it was tried: small, non-secret
 * mode-0600 files in the state folder. They let every process find a session where the login put it (a keychain
 * that reads but refuses writes must not hide a session kept in the file store), let a cached `env` make exactly
 * one keychain lookup (the keychain is never asked to list its items), and let the "no keychain here" decision be
 * made and said once per machine instead of on every command.
 */
import {promises as fs} from 'node:fs'
import {join} from 'node:path'

import type {SessionKey} from '../session/session-record.js'
import {readPrivateFile, writePrivateFileAtomic} from './private-file.js'
import {legacySessionSlotName, sessionSlotName} from './session-slot-name.js'

/** Where a session's secret is kept. */
export type PlacedIn = 'keychain' | 'file'

/** One session's entry: `<stateDir>/index/<hash of server and realm>.json`. */
export interface IndexEntry extends SessionKey {
  /** The keychain item's account / the file store's name: `<userid>@<host:port>`. */
  account: string
  store: PlacedIn
}

/**
 * What the keychain did when last tried. `absent`: no Secret Service (or no session bus) to talk to;
 * `unresponsive`: it did not answer in time; `refuses-writes`: it answered but would not store (a locked collection
 * and nothing to prompt for the password); `usable`: a write worked.
 */
export type KeychainVerdict = 'usable' | 'absent' | 'unresponsive' | 'refuses-writes'

export interface KeychainState {
  verdict: KeychainVerdict
  /** The keychain's own words when it failed, for --debug. */
  detail?: string
  /** DBUS_SESSION_BUS_ADDRESS when decided: a different bus is a different keychain, so the decision is made again. */
  bus: string
  decidedAt: string
}

const MAX_INDEX_FILE_BYTES = 64 * 1024

export class SessionIndex {
  private readonly directory: string
  private readonly keychainFile: string

  constructor(stateDir: string) {
    this.directory = join(stateDir, 'index')
    this.keychainFile = join(stateDir, 'keychain.json')
  }

  async read(key: SessionKey): Promise<IndexEntry | undefined> {
    const entry = parseEntry(await readPrivateFile(this.pathOf(key), MAX_INDEX_FILE_BYTES)) ?? (await this.moveLegacyEntry(key))
    return entry && entry.server === key.server && entry.realm === key.realm ? entry : undefined
  }

  /** An entry an earlier build wrote under its old name, moved to the current one (so a keychain session stays found). */
  private async moveLegacyEntry(key: SessionKey): Promise<IndexEntry | undefined> {
    const legacy = join(this.directory, `${await legacySessionSlotName(key.server, key.realm)}.json`)
    const entry = parseEntry(await readPrivateFile(legacy, MAX_INDEX_FILE_BYTES).catch(() => undefined))
    if (entry) await fs.rename(legacy, this.pathOf(key)).catch(() => {})
    return entry
  }

  async write(entry: IndexEntry): Promise<void> {
    const {server, realm, account, store} = entry
    await writePrivateFileAtomic(this.pathOf(entry), JSON.stringify({server, realm, account, store}) + '\n')
  }

  async remove(key: SessionKey): Promise<void> {
    await fs.rm(this.pathOf(key), {force: true})
  }

  /** Every entry; unreadable ones are skipped (the stores are the truth, the index only points into them). */
  async all(): Promise<IndexEntry[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const entries: IndexEntry[] = []
    for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort()) {
      const entry = parseEntry(await readPrivateFile(join(this.directory, name), MAX_INDEX_FILE_BYTES).catch(() => undefined))
      if (entry) entries.push(entry)
    }
    return entries
  }

  async keychainState(): Promise<KeychainState | undefined> {
    const text = await readPrivateFile(this.keychainFile, MAX_INDEX_FILE_BYTES).catch(() => undefined)
    if (text === undefined) return undefined
    try {
      const value = JSON.parse(text) as Partial<KeychainState>
      const verdicts: KeychainVerdict[] = ['usable', 'absent', 'unresponsive', 'refuses-writes']
      if (!verdicts.includes(value.verdict as KeychainVerdict) || typeof value.bus !== 'string') return undefined
      return value as KeychainState
    } catch {
      return undefined
    }
  }

  async setKeychainState(state: KeychainState): Promise<void> {
    await writePrivateFileAtomic(this.keychainFile, JSON.stringify(state, null, 2) + '\n')
  }

  private pathOf(key: SessionKey): string {
    return join(this.directory, `${sessionSlotName(key.server, key.realm)}.json`)
  }
}

function parseEntry(text: string | undefined): IndexEntry | undefined {
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    for (const field of ['server', 'realm', 'account'] as const) if (typeof value[field] !== 'string' || value[field] === '') return undefined
    if (value['store'] !== 'keychain' && value['store'] !== 'file') return undefined
    return value as unknown as IndexEntry
  } catch {
    return undefined
  }
}
