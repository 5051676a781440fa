/**
 * Short-lived PVE API tokens minted from a session, for runs longer than a ticket's 2 hours. A user may create
 * tokens for itself (pve-access-control v9.1.1 src/PVE/API2/User.pm `generate_token`, permission
 * `['userid-param', 'self']`), PVE enforces their `expire` (src/PVE/AccessControl.pm `verify_token`: "token '…'
 * access expired"), and unlike a ticket a token can be deleted, so a run's credential ends with the run.
 */
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'

import {ApiTokenError, InvalidInputError, PveApiError} from '../errors.js'
import {createPveToken, deletePveToken, grantPveTokenAcl, type PveRequester, type PveTokenInfo} from '../pve/api-tokens.js'
import {API_TOKEN_ID_PREFIX, DEFAULT_API_TOKEN_TTL_SECONDS, MAX_API_TOKEN_TTL_SECONDS} from './api-token-limits.js'

export {API_TOKEN_ID_PREFIX, DEFAULT_API_TOKEN_TTL_SECONDS, MAX_API_TOKEN_TTL_SECONDS}

/** How many fresh random ids to try when PVE says the id is taken (`tokenid: Token already exists.`). */
const ID_ATTEMPTS = 3

/** One ACL entry for a privilege-separated token (PUT /access/acl with `tokens=`). */
export interface ApiTokenAcl {
  /** ACL path, e.g. `/vms/100` or `/`. */
  path: string
  /** A role, e.g. `PVEVMAdmin`. */
  role: string
  /** Whether it applies below the path too. Default true (PVE's default). */
  propagate?: boolean
}

export interface ApiTokenOptions {
  /** Lifetime in seconds; PVE refuses the token afterwards. Default 8 h, at most 7 days. */
  ttlSeconds?: number
  /**
   * false (default): the token has the user's own rights, like the ticket it stands in for. true: only the ACLs in
   * `acl`, which the user must be allowed to grant (Permissions.Modify on the path); without any, it could do nothing.
   */
  privsep?: boolean
  /** ACL entries for a privsep token; granted right after creation, and the token is deleted if one is refused. */
  acl?: readonly ApiTokenAcl[]
  /** Added to the token's comment, after pve-login's marker (host, pid, time). */
  comment?: string
}

export interface ApiToken {
  /** The id part, e.g. `pve-login-3f9a1c2e`. */
  tokenId: string
  /** `USER@REALM!TOKENID`. */
  fullTokenId: string
  /** The token's value. PVE shows it only once; never log it. */
  secret: string
  expiresAt: Date
  privsep: boolean
  /** Deletes the token at PVE; resolves false when it was already gone. Needs the session's (renewable) ticket. */
  revoke(): Promise<boolean>
}

/** What pve-login writes into a token's comment, so that `api-tokens` can tell which run made it. */
export interface ApiTokenMarker {
  host: string
  pid: number
  createdAt: Date
  /** The caller's comment (the CLI writes `exec` or `env`). */
  note?: string
}

/** A token of the user as PVE lists it, with pve-login's marker when the comment carries one. */
export interface ListedApiToken {
  tokenId: string
  fullTokenId: string
  /** undefined: no expiry. */
  expiresAt: Date | undefined
  privsep: boolean
  comment?: string
  /** Set for tokens pve-login created (id prefix and comment marker both match). */
  marker?: ApiTokenMarker
}

export interface MintContext {
  now: () => Date
  /** The token-id suffix; random by default. Tests pass a fixed one to provoke a clash. */
  randomSuffix?: () => string
}

const MARKER = /^pve-login on (\S+) pid (\d+) at (\S+?)(?:: (.*))?$/s

export function apiTokenComment(marker: ApiTokenMarker): string {
  return `pve-login on ${marker.host} pid ${marker.pid} at ${marker.createdAt.toISOString()}${marker.note ? `: ${marker.note}` : ''}`
}

export function parseApiTokenComment(comment: string | undefined): ApiTokenMarker | undefined {
  const match = comment === undefined ? null : MARKER.exec(comment)
  if (!match) return undefined
  const createdAt = new Date(match[3] ?? '')
  if (Number.isNaN(createdAt.getTime())) return undefined
  return {host: match[1] ?? '', pid: Number(match[2]), createdAt, ...(match[4] ? {note: match[4]} : {})}
}

/** PVE's list entry in pve-login's terms. */
export function describeListedToken(username: string, info: PveTokenInfo): ListedApiToken {
  const marker = info.tokenid.startsWith(API_TOKEN_ID_PREFIX) ? parseApiTokenComment(info.comment) : undefined
  return {
    tokenId: info.tokenid,
    fullTokenId: `${username}!${info.tokenid}`,
    expiresAt: info.expire > 0 ? new Date(info.expire * 1000) : undefined,
    privsep: info.privsep,
    ...(info.comment === undefined ? {} : {comment: info.comment}),
    ...(marker ? {marker} : {}),
  }
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_API_TOKEN_TTL_SECONDS) {
    throw new InvalidInputError(`ttlSeconds must be a whole number of seconds between 1 and ${MAX_API_TOKEN_TTL_SECONDS} (7 days); got ${ttlSeconds}.`, {
      hint: 'A token minted by pve-login is meant to end with the run it serves; for a standing credential, create one in PVE yourself.',
    })
  }
}

function randomTokenSuffix(): string {
  return randomBytes(4).toString('hex')
}

function isIdClash(error: unknown): boolean {
  return error instanceof PveApiError && error.status === 400 && /already exists/i.test(error.errors?.tokenid ?? '')
}

/** PVE's refusals of POST …/token/{id}, in the library's words. */
function creationError(error: unknown, username: string): unknown {
  if (!(error instanceof PveApiError)) return error
  if (error.status === 501) {
    return new ApiTokenError('API_TOKEN_UNSUPPORTED', `This PVE server has no API tokens (${error.pveMessage}).`, {advice: {kind: 'api-token-unsupported'}, cause: error})
  }
  if (error.status === 403 || /^no such user /.test(error.pveMessage)) {
    return new ApiTokenError('API_TOKEN_REFUSED', `PVE did not let ${username} create an API token (${error.pveMessage}).`, {advice: {kind: 'api-token-refused'}, cause: error})
  }
  return error
}

/**
 * Creates a token for `username` (the session's own user) through `request`, which must carry the ticket: id
 * `pve-login-<8 hex>`, expiring after ttlSeconds, with pve-login's marker in the comment. A taken id is retried
 * with a new random one. For privsep tokens the ACLs are granted at once; if PVE refuses one, the token is deleted
 * again and ApiTokenError API_TOKEN_NO_RIGHTS says why, instead of handing out a token that can do nothing.
 */
export async function mintApiToken(request: PveRequester, username: string, options: ApiTokenOptions, context: MintContext): Promise<ApiToken> {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_API_TOKEN_TTL_SECONDS
  checkTtl(ttlSeconds)
  const privsep = options.privsep === true
  const acl = options.acl ?? []
  if (privsep && acl.length === 0) {
    throw new ApiTokenError('API_TOKEN_NO_RIGHTS', 'A privilege-separated API token has no rights until ACLs are granted to it, and none were asked for.', {
      advice: {kind: 'api-token-needs-acl'},
    })
  }
  if (!privsep && acl.length > 0) {
    throw new InvalidInputError('ACLs can only be granted to a privilege-separated token.', {hint: 'Set privsep: true, or drop acl.'})
  }
  const now = context.now()
  const expire = Math.floor(now.getTime() / 1000) + ttlSeconds
  const comment = apiTokenComment({host: hostname(), pid: process.pid, createdAt: now, ...(options.comment ? {note: options.comment} : {})})

  let created: {tokenId: string; fullTokenId: string; value: string} | undefined
  for (let attempt = 1; !created; attempt++) {
    const tokenId = `${API_TOKEN_ID_PREFIX}${(context.randomSuffix ?? randomTokenSuffix)()}`
    try {
      const answer = await createPveToken(request, username, tokenId, {expire, privsep, comment})
      created = {tokenId, fullTokenId: answer.fullTokenId, value: answer.value}
    } catch (error) {
      if (!isIdClash(error)) throw creationError(error, username)
      if (attempt >= ID_ATTEMPTS) {
        throw new ApiTokenError('API_TOKEN_ID_CLASH', `PVE already has tokens with each of the ${ID_ATTEMPTS} random ids pve-login tried for ${username}.`, {
          advice: {kind: 'api-token-id-clash'},
          cause: error,
        })
      }
    }
  }
  const {tokenId, fullTokenId, value} = created
  const revoke = (): Promise<boolean> => deletePveToken(request, username, tokenId)

  for (const entry of acl) {
    try {
      await grantPveTokenAcl(request, fullTokenId, {path: entry.path, role: entry.role, propagate: entry.propagate ?? true})
    } catch (error) {
      // A token that cannot get its rights is useless: take it back before reporting.
      await revoke().catch(() => undefined)
      if (error instanceof PveApiError && (error.status === 403 || error.status === 400)) {
        throw new ApiTokenError('API_TOKEN_NO_RIGHTS', `${username} may not grant the role ${entry.role} on ${entry.path} to a privilege-separated token (PVE: ${error.message.replace(/^PVE answered /, '')}); the token was deleted again.`, {
          advice: {kind: 'api-token-grant-refused'},
          cause: error,
        })
      }
      throw error
    }
  }
  return {tokenId, fullTokenId, secret: value, expiresAt: new Date(expire * 1000), privsep, revoke}
}
