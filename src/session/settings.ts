import {InvalidInputError} from '../errors.js'
import {resolvePaths, type PveLoginPaths} from './paths.js'
import {checkProfileName, DEFAULT_PROFILE, readProfile, type Profile} from './profile-config.js'
import {normalizeServer} from '../pve/server-url.js'
import {parseStoreChoice, type StoreChoice} from '../store/open-store.js'
import {checkStateFolders} from '../store/state-folders.js'
import type {TlsOptions} from '../pve/tls.js'

/** Where to log in: what flags, environment and the remembered profile say, merged in that order. */
export interface SettingsInput {
  server?: string
  realm?: string
  profile?: string
  store?: StoreChoice | string
  tls?: TlsOptions
  /** Defaults to process.env: PVE_LOGIN_SERVER, PVE_LOGIN_REALM, PVE_LOGIN_PROFILE, PVE_LOGIN_FINGERPRINT, PVE_LOGIN_CA_FILE, PVE_LOGIN_STORE, PVE_LOGIN_HOME. */
  env?: NodeJS.ProcessEnv
}

export interface Settings {
  server: string
  realm: string
  profile: string
  store: StoreChoice
  tls: TlsOptions
  paths: PveLoginPaths
}

/** Where sessions are kept: what listing or removing them needs, with no server or realm chosen. */
export type StorageSettings = Pick<Settings, 'store' | 'paths'>

export function resolveStorage(input: Pick<SettingsInput, 'store' | 'env'>): StorageSettings {
  const env = input.env ?? process.env
  return {paths: resolvePaths(env), store: parseStoreChoice(input.store ?? env['PVE_LOGIN_STORE'])}
}

/** Options > environment > remembered profile. A remembered TLS pin only applies to the server it was made for. */
export async function resolveSettings(input: SettingsInput): Promise<Settings> {
  const settings = await resolveSettingsIfChosen(input)
  if (settings === 'no server') {
    throw new InvalidInputError('No PVE server given, and none is remembered for this profile.', {advice: {kind: 'give-server'}})
  }
  if (settings === 'no realm') {
    throw new InvalidInputError('No realm given, and none is remembered for this profile.', {advice: {kind: 'give-realm'}})
  }
  return settings
}

/**
 * resolveSettings for callers that are useful without a server or realm (`status`): says which one is missing
 * instead of throwing. A bad server address or profile name is still an error.
 */
export async function resolveSettingsIfChosen(input: SettingsInput): Promise<Settings | 'no server' | 'no realm'> {
  const env = input.env ?? process.env
  const storage = resolveStorage(input)
  const profileName = checkProfileName(input.profile ?? (env['PVE_LOGIN_PROFILE'] || DEFAULT_PROFILE))
  // Before anything is read from them: a folder someone else can write to may hold their server and pin.
  await checkStateFolders([storage.paths.configDir, storage.paths.stateDir])
  const remembered: Profile = await readProfile(storage.paths.configDir, profileName)
  const serverText = input.server ?? (env['PVE_LOGIN_SERVER'] || remembered.server)
  if (!serverText) return 'no server'
  const server = normalizeServer(serverText)
  const realm = input.realm ?? (env['PVE_LOGIN_REALM'] || remembered.realm)
  if (!realm) return 'no realm'
  const sameServer = remembered.server !== undefined && safeNormalize(remembered.server) === server
  const explicit: TlsOptions = {
    fingerprint: input.tls?.fingerprint ?? (env['PVE_LOGIN_FINGERPRINT'] || undefined),
    caFile: input.tls?.caFile ?? (env['PVE_LOGIN_CA_FILE'] || undefined),
    ca: input.tls?.ca,
    insecure: input.tls?.insecure ?? false,
  }
  // Trust given now (a pin, a CA, insecure) replaces the remembered one as a whole: a remembered pin must not
  // quietly win over an explicit --ca-file, which would then never even be read.
  const explicitTrust = explicit.fingerprint !== undefined || explicit.caFile !== undefined || explicit.ca !== undefined || explicit.insecure
  const tls: TlsOptions = explicitTrust || !sameServer ? explicit : {...explicit, fingerprint: remembered.fingerprint, caFile: remembered.fingerprint ? undefined : remembered.caFile}
  return {server, realm, profile: profileName, tls, ...storage}
}

function safeNormalize(server: string): string | undefined {
  try {
    return normalizeServer(server)
  } catch {
    return undefined
  }
}
