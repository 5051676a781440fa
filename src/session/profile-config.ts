import {join} from 'node:path'

import {InvalidInputError, UnsafeStateError} from '../errors.js'
import {readPrivateFile, UnreadableFileError, writePrivateFileAtomic} from '../store/private-file.js'

/** What pve-login remembers per profile, so that the next `pve-login` needs no flags. */
export interface Profile {
  server?: string
  realm?: string
  /** The SHA-256 certificate pin the last successful login used. */
  fingerprint?: string
  caFile?: string
}

export interface ProfileConfig {
  profiles: Record<string, Profile>
}

export const DEFAULT_PROFILE = 'default'
/** Profiles are a few lines each; a config far larger is not one pve-login wrote. */
const MAX_CONFIG_BYTES = 1024 * 1024
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function configFile(configDir: string): string {
  return join(configDir, 'config.json')
}

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new InvalidInputError(`"${name}" is not a valid profile name.`, {hint: 'Use letters, digits, dot, dash and underscore (up to 64 characters).'})
  }
  return name
}

export async function readProfileConfig(configDir: string): Promise<ProfileConfig> {
  let text: string | undefined
  try {
    text = await readPrivateFile(configFile(configDir), MAX_CONFIG_BYTES)
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error
    throw new UnsafeStateError(`${configFile(configDir)} cannot be used: ${error.reason}.`, {hint: `Move it away (mv ${error.path} ${error.path}.old); pve-login writes a new one at the next login.`})
  }
  if (text === undefined) return {profiles: {}}
  try {
    const parsed = JSON.parse(text) as Partial<ProfileConfig>
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.profiles !== 'object' || parsed.profiles === null) throw new Error('no "profiles" object')
    return {profiles: parsed.profiles}
  } catch (error) {
    throw new InvalidInputError(`${configFile(configDir)} is not valid pve-login configuration: ${(error as Error).message}`, {
      hint: 'Fix or delete the file; pve-login rewrites it at the next successful login.',
    })
  }
}

export async function readProfile(configDir: string, name: string): Promise<Profile> {
  return (await readProfileConfig(configDir)).profiles[name] ?? {}
}

/**
 * Merges `update` into the named profile (read-modify-write of a small file; last writer wins per field). null
 * forgets a field: a login that trusted a CA file forgets the pin remembered before, and the other way round.
 */
export async function rememberProfile(configDir: string, name: string, update: {[field in keyof Profile]?: string | null}): Promise<void> {
  const config = await readProfileConfig(configDir).catch(() => ({profiles: {}}) as ProfileConfig)
  const merged: Profile = {...config.profiles[name]}
  for (const [field, value] of Object.entries(update) as [keyof Profile, string | null | undefined][]) {
    if (value === null) delete merged[field]
    else if (value !== undefined) merged[field] = value
  }
  config.profiles[name] = merged
  await writePrivateFileAtomic(configFile(configDir), JSON.stringify(config, null, 2) + '\n')
}
