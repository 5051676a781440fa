/**
 * PVE's API-token calls, as pve-access-control v9.1.1 defines them (src/PVE/API2/User.pm `generate_token`,
 * `token_index`, `remove_token`; src/PVE/API2/ACL.pm `update_acl`). They must be made with a ticket: PVE checks
 * `['or', ['userid-param', 'self'], ['userid-group', ['User.Modify']]]`, and a request made with a token has the
 * token's id as its user, so a token can never create or delete tokens.
 */
import {PveApiError} from '../errors.js'
import type {PveParams} from './pve-client.js'

/** One authenticated call below /api2/json that returns PVE's `data` (a Session's request, say). */
export type PveRequester = <T>(method: string, path: string, params?: PveParams) => Promise<T>

/** `GET /access/users/{userid}/token` entries. PVE reads them back from user.cfg: expire 0 means "never". */
export interface PveTokenInfo {
  tokenid: string
  privsep: boolean
  /** Seconds since the epoch; 0 = no expiry. */
  expire: number
  comment?: string
}

export interface PveTokenCreation {
  /** Seconds since the epoch. */
  expire: number
  privsep: boolean
  comment: string
}

export interface PveCreatedToken {
  /** `USER@REALM!TOKENID`. */
  fullTokenId: string
  /** The secret, shown this once. */
  value: string
}

const tokensPath = (userid: string): string => `/access/users/${encodeURIComponent(userid)}/token`
const tokenPath = (userid: string, tokenid: string): string => `${tokensPath(userid)}/${encodeURIComponent(tokenid)}`

/** `$token_subid_regex` (AccessControl.pm): what PVE accepts as a token id. */
export const TOKEN_ID_PATTERN = /^[A-Za-z][A-Za-z0-9.\-_]+$/

/** A `0`/`1`, `"0"`/`"1"` or boolean from PVE's JSON (Perl scalars come out either way). */
function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === '1'
}

export async function createPveToken(request: PveRequester, userid: string, tokenid: string, creation: PveTokenCreation): Promise<PveCreatedToken> {
  const data = await request<{'full-tokenid'?: unknown; value?: unknown} | null>('POST', tokenPath(userid, tokenid), {
    expire: creation.expire,
    privsep: creation.privsep,
    comment: creation.comment,
  })
  if (!data || typeof data['full-tokenid'] !== 'string' || typeof data.value !== 'string') {
    throw new PveApiError(200, `POST ${tokenPath(userid, tokenid)} answered without full-tokenid and value`)
  }
  return {fullTokenId: data['full-tokenid'], value: data.value}
}

export async function listPveTokens(request: PveRequester, userid: string): Promise<PveTokenInfo[]> {
  const data = await request<unknown>('GET', tokensPath(userid))
  if (!Array.isArray(data)) throw new PveApiError(200, `GET ${tokensPath(userid)} did not return a list`)
  return data
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && typeof entry.tokenid === 'string')
    .map((entry) => ({
      tokenid: entry.tokenid as string,
      privsep: truthy(entry.privsep),
      expire: Number(entry.expire ?? 0) || 0,
      ...(typeof entry.comment === 'string' ? {comment: entry.comment} : {}),
    }))
}

/** Deletes a token; true when it was there, false when PVE says it is already gone (`no such token …`). */
export async function deletePveToken(request: PveRequester, userid: string, tokenid: string): Promise<boolean> {
  try {
    await request('DELETE', tokenPath(userid, tokenid))
    return true
  } catch (error) {
    // check_token_exist dies (HTTP 500) with "no such token '<t>' for user '<u>'".
    if (error instanceof PveApiError && /^no such token /.test(error.pveMessage)) return false
    throw error
  }
}

/** `PUT /access/acl` with `tokens=`: one role for one token on one path. */
export async function grantPveTokenAcl(request: PveRequester, fullTokenId: string, acl: {path: string; role: string; propagate: boolean}): Promise<void> {
  await request('PUT', '/access/acl', {path: acl.path, roles: acl.role, tokens: fullTokenId, propagate: acl.propagate})
}
