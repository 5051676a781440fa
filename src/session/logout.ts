import {usableSecondsLeft} from '../pve/ticket.js'
import {checkStateFolders} from '../store/state-folders.js'
import {sessionAccount} from '../store/ticket-store.js'
import type {SessionLogger} from './session-options.js'
import type {SessionRecord, StoredApiToken} from './session-record.js'
import {openSettingsStore} from './session-services.js'
import {resolveSettings, resolveStorage, type Settings, type SettingsInput} from './settings.js'

export interface LogoutOptions extends SettingsInput {
  /** Remove the sessions of every server and realm, not only the selected one. */
  all?: boolean
  keychainTimeoutMs?: number
  logger?: SessionLogger
  /**
   * Told what became of each stored API token (`env --api-token`): logout deletes it at PVE first, which truly
   * ends it, and forgets it locally either way.
   */
  onApiToken?: (outcome: ApiTokenRevocation) => void
  /** Limit per request to PVE when deleting stored API tokens, in ms (default 30 000). */
  requestTimeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/** What logout did about one stored API token. */
export interface ApiTokenRevocation {
  server: string
  fullTokenId: string
  expiresAt: Date
  /**
   * deleted: gone at PVE now; already-gone: PVE had no such token; expired: not deleted (no valid ticket) but past
   * its expiry, so PVE refuses it anyway; kept: PVE could not be told (see error), the token works until expiresAt.
   */
  result: 'deleted' | 'already-gone' | 'expired' | 'kept'
  error?: Error
}

/**
 * Removes local sessions. A PVE ticket cannot be revoked on the server; it stays valid until it expires. An API
 * token stored with a session can: it is deleted at PVE (with the session's ticket, while that is valid) before
 * the session is forgotten.
 */
export async function logout(options: LogoutOptions = {}): Promise<SessionRecord[]> {
  const selected = options.all ? undefined : await resolveSettings(options)
  const storage = selected ?? resolveStorage(options)
  await checkStateFolders([storage.paths.configDir, storage.paths.stateDir])
  const store = openSettingsStore(storage, options)
  const {records} = await store.list()
  const doomed = selected ? records.filter((r) => r.server === selected.server && r.realm === selected.realm) : records
  for (const record of doomed) {
    if (record.apiToken) options.onApiToken?.(await revokeStoredToken(record, record.apiToken, selected, options))
    await store.remove(sessionAccount(record))
  }
  return doomed
}

async function revokeStoredToken(record: SessionRecord, token: StoredApiToken, selected: Settings | undefined, options: LogoutOptions): Promise<ApiTokenRevocation> {
  const outcome = {server: record.server, fullTokenId: token.fullTokenId, expiresAt: new Date(token.expiresAt)}
  // A token cannot delete itself (PVE checks `self` against the token's own id), so this takes the ticket.
  if (usableSecondsLeft(new Date(record.issuedAt)) <= 0) {
    if (Date.parse(token.expiresAt) <= Date.now()) return {...outcome, result: 'expired'}
    return {...outcome, result: 'kept', error: new Error('the session\'s ticket has expired, and only a ticket may delete a token')}
  }
  const {PveClient} = await import('../pve/pve-client.js')
  const {deletePveToken} = await import('../pve/api-tokens.js')
  const tls = selected?.server === record.server ? selected.tls : {fingerprint: record.tlsPin}
  const client = new PveClient({server: record.server, tls, env: options.env, timeoutMs: options.requestTimeoutMs})
  try {
    const deleted = await deletePveToken(
      (method, path, params) => client.request(method, path, {params, ticket: record.ticket, csrfToken: record.csrfToken}),
      record.username,
      token.tokenId,
    )
    return {...outcome, result: deleted ? 'deleted' : 'already-gone'}
  } catch (error) {
    return {...outcome, result: 'kept', error: error as Error}
  } finally {
    await client.close()
  }
}
