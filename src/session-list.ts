/**
 * Every stored session, whatever its server and realm: what `pve-login status` shows. Reads only: it never renews,
 * never logs in and never loads the HTTP stack, so asking "am I logged in?" costs a store read.
 */
import {resolvePaths} from './paths.js'
import {checkProfileName, DEFAULT_PROFILE, readProfile} from './profile-config.js'
import type {SessionKey, SessionRecord} from './session-record.js'
import type {SessionLogger} from './session.js'
import {resolveSettings, type SettingsInput} from './settings.js'
import {openStore, parseStoreChoice} from './store/open-store.js'
import type {StoreKind} from './store/ticket-store.js'

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
  /** The server and realm that options, environment or the remembered profile select; undefined when none is set. */
  selected: SessionKey | undefined
}

/**
 * The sessions in the store that getSession would use with these options (the keychain, or the file store after a
 * fallback). A missing server or realm is not an error here, because the listing is useful without one; a bad
 * server address or profile name still is.
 */
export async function listSessions(options: ListSessionsOptions = {}): Promise<SessionListing> {
  const env = options.env ?? process.env
  const selected = await selectedSessionKey(options, env)
  const store = openStore({
    choice: parseStoreChoice(options.store ?? env['PVE_LOGIN_STORE']),
    stateDir: resolvePaths(env).stateDir,
    keychainTimeoutMs: options.keychainTimeoutMs,
    onFallback: (message) => options.logger?.warn(message),
  })
  const {records, corrupt} = await store.list()
  return {records, corrupt, store: store.kind, location: store.location, selected}
}

/** True when `record` belongs to the selected server and realm. */
export function isSelectedSession(record: Pick<SessionRecord, 'server' | 'realm'>, selected: SessionKey | undefined): boolean {
  return selected !== undefined && record.server === selected.server && record.realm === selected.realm
}

async function selectedSessionKey(input: SettingsInput, env: NodeJS.ProcessEnv): Promise<SessionKey | undefined> {
  const profileName = checkProfileName(input.profile ?? (env['PVE_LOGIN_PROFILE'] || DEFAULT_PROFILE))
  const remembered = await readProfile(resolvePaths(env).configDir, profileName)
  // resolveSettings' precedence (options > environment > profile), asked only whether both parts exist at all.
  const server = input.server ?? (env['PVE_LOGIN_SERVER'] || remembered.server)
  const realm = input.realm ?? (env['PVE_LOGIN_REALM'] || remembered.realm)
  if (!server || !realm) return undefined
  const settings = await resolveSettings({...input, env})
  return {server: settings.server, realm: settings.realm}
}
