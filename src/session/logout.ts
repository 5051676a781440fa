import {sessionAccount} from '../store/ticket-store.js'
import type {SessionLogger} from './session-options.js'
import type {SessionRecord} from './session-record.js'
import {openSettingsStore} from './session-services.js'
import {resolveSettings, resolveStorage, type SettingsInput} from './settings.js'

export interface LogoutOptions extends SettingsInput {
  /** Remove the sessions of every server and realm, not only the selected one. */
  all?: boolean
  keychainTimeoutMs?: number
  logger?: SessionLogger
}

/** Removes local sessions. A PVE ticket cannot be revoked on the server; it stays valid until it expires. */
export async function logout(options: LogoutOptions = {}): Promise<SessionRecord[]> {
  const selected = options.all ? undefined : await resolveSettings(options)
  const store = openSettingsStore(selected ?? resolveStorage(options), options)
  const {records} = await store.list()
  const doomed = selected ? records.filter((r) => r.server === selected.server && r.realm === selected.realm) : records
  for (const record of doomed) await store.remove(sessionAccount(record))
  return doomed
}
