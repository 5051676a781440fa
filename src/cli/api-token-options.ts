/**
 * `--api-token`, `--api-token-ttl`, `--privsep` and `--privsep-acl` as the library's ApiTokenOptions. (The library's
 * API-token errors carry advice, which src/cli/cli-wording.ts words with these flags.)
 */
import {InvalidInputError} from '../errors.js'
import {formatDuration, parseDuration} from '../format/duration.js'
import type {ApiTokenAcl, ApiTokenOptions} from '../session/api-token.js'
import {MAX_API_TOKEN_TTL_SECONDS} from '../session/api-token-limits.js'

export interface ApiTokenFlags {
  'api-token'?: boolean
  'api-token-ttl'?: string
  privsep?: boolean
  'privsep-acl'?: string[]
}

/** undefined when --api-token is not set (and no token flag was given that needs it). */
export function apiTokenOptions(flags: ApiTokenFlags): ApiTokenOptions | undefined {
  const acl = (flags['privsep-acl'] ?? []).map(parseAcl)
  if (!flags['api-token']) {
    if (flags.privsep || acl.length > 0) {
      throw new InvalidInputError('--privsep and --privsep-acl only apply to an API token.', {hint: 'Add --api-token, or drop them.'})
    }
    return undefined
  }
  const ttlText = flags['api-token-ttl'] ?? '8h'
  const ttlSeconds = parseDuration(ttlText)
  if (ttlSeconds <= 0 || ttlSeconds > MAX_API_TOKEN_TTL_SECONDS) {
    throw new InvalidInputError(`--api-token-ttl ${ttlText} is outside what pve-login mints.`, {
      hint: `Give a lifetime between 1s and ${formatDuration(MAX_API_TOKEN_TTL_SECONDS)} (7d): a token made by pve-login is meant to end with the run it serves.`,
    })
  }
  if (flags.privsep && acl.length === 0) {
    throw new InvalidInputError('--privsep makes a token that has no rights at all until ACLs are granted to it, and no --privsep-acl was given.', {
      hint: 'Add --privsep-acl PATH=ROLE (e.g. /vms/100=PVEVMAdmin; granting needs Permissions.Modify on PATH), or leave out --privsep for a token with your own rights.',
    })
  }
  if (!flags.privsep && acl.length > 0) {
    throw new InvalidInputError('--privsep-acl needs --privsep: a token without it already has all your rights.', {hint: 'Add --privsep, or drop --privsep-acl.'})
  }
  return {ttlSeconds, privsep: flags.privsep === true, ...(acl.length > 0 ? {acl} : {})}
}

function parseAcl(text: string): ApiTokenAcl {
  const match = /^(\/[^=\s]*)=([A-Za-z][A-Za-z0-9.\-_]*)$/.exec(text.trim())
  if (!match) {
    throw new InvalidInputError(`--privsep-acl ${text} is not PATH=ROLE.`, {hint: 'For example --privsep-acl /vms/100=PVEVMAdmin or --privsep-acl /=PVEAuditor.'})
  }
  return {path: match[1] ?? '/', role: match[2] ?? ''}
}
