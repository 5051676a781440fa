import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {InvalidInputError} from '../errors.js'
import {writePrivateFileAtomic} from '../store/private-file.js'

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
  let text: string
  try {
    text = await readFile(configFile(configDir), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {profiles: {}}
    throw error
  }
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

/** Merges `update` into the named profile (read-modify-write of a small file; last writer wins per field). */
export async function rememberProfile(configDir: string, name: string, update: Profile): Promise<void> {
  const config = await readProfileConfig(configDir).catch(() => ({profiles: {}}) as ProfileConfig)
  const merged: Profile = {...config.profiles[name]}
  for (const [field, value] of Object.entries(update) as [keyof Profile, string | undefined][]) {
    if (value !== undefined) merged[field] = value
  }
  config.profiles[name] = merged
  await writePrivateFileAtomic(configFile(configDir), JSON.stringify(config, null, 2) + '\n')
}
