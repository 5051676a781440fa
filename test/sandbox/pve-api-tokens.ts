import {randomUUID, timingSafeEqual} from 'node:crypto'

import {PveError} from './pve-error.js'
import type {SandboxClock} from './sandbox-clock.js'
import type {PveUserDirectory} from './pve-users.js'

/**
 * PVE's API tokens (pve-access-control v9.1.1: src/PVE/API2/User.pm `generate_token`, `token_index`, `read_token`,
 * `update_token_info`, `remove_token`; src/PVE/AccessControl.pm `verify_token`, `check_token_exist`,
 * `split_tokenid`; src/PVE/TokenConfig.pm), and the ACL entries granted to them (src/PVE/API2/ACL.pm `update_acl`).
 * The secret is a UUID, shown once at creation; the sandbox keeps it in memory like /etc/pve/priv/token.cfg.
 */

/** `$token_subid_regex = $realm_regex` (AccessControl.pm; Auth/Plugin.pm). */
export const TOKEN_SUBID_PATTERN = /^[A-Za-z][A-Za-z0-9.\-_]+$/
/** `$user_regex` `@` `$realm_regex` (Auth/Plugin.pm), and the full id `USER@REALM!SUBID` (`$token_full_regex`). */
const USER_PART = '[^\\s:/]+'
const REALM_PART = '[A-Za-z][A-Za-z0-9.\\-_]+'
const TOKEN_FULL = new RegExp(`^(${USER_PART}@${REALM_PART})!([A-Za-z][A-Za-z0-9.\\-_]+)$`)

/** What user.cfg keeps per token: `token:<full id>:<expire>:<privsep>:<comment>:` (AccessControl.pm write_user_config). */
export interface ApiTokenInfo {
  /** 0 or 1, as read back from user.cfg. */
  privsep: 0 | 1
  /** Seconds since the epoch; 0 = never. */
  expire: number
  comment?: string
}

export interface StoredApiToken extends ApiTokenInfo {
  userid: string
  tokenid: string
}

export interface ApiTokenCreation {
  expire?: number
  privsep?: boolean
  comment?: string
}

interface TokenEntry {
  info: ApiTokenInfo
  value: string
}

export function splitTokenId(fullTokenId: string): {userid: string; tokenid: string} | undefined {
  const match = TOKEN_FULL.exec(fullTokenId)
  return match ? {userid: match[1] ?? '', tokenid: match[2] ?? ''} : undefined
}

export function isTokenId(authId: string): boolean {
  return splitTokenId(authId) !== undefined
}

export class ApiTokenDirectory {
  /** userid → token sub-id → token. */
  private readonly tokens = new Map<string, Map<string, TokenEntry>>()

  constructor(
    private readonly clock: SandboxClock,
    private readonly users: PveUserDirectory,
  ) {}

  /** check_user_exist: PVE's die text (a plain die: HTTP 500). */
  private checkUserExists(userid: string): void {
    if (!this.users.find(userid)) throw new PveError(500, `no such user ('${userid}')\n`)
  }

  /** check_token_exist: `no such token '<t>' for user '<u>'` (a plain die: HTTP 500). */
  private entry(userid: string, tokenid: string): TokenEntry {
    this.checkUserExists(userid)
    const entry = this.tokens.get(userid)?.get(tokenid)
    if (!entry) throw new PveError(500, `no such token '${tokenid}' for user '${userid}'\n`)
    return entry
  }

  /** `GET /access/users/{userid}/token`: every token with its sub-id (token_index). */
  list(userid: string): Array<ApiTokenInfo & {tokenid: string}> {
    this.checkUserExists(userid)
    return [...(this.tokens.get(userid) ?? new Map<string, TokenEntry>()).entries()].map(([tokenid, entry]) => ({...entry.info, tokenid}))
  }

  read(userid: string, tokenid: string): ApiTokenInfo {
    return {...this.entry(userid, tokenid).info}
  }

  /** `POST …/token/{tokenid}` (generate_token): the value is returned here and never again. */
  generate(userid: string, tokenid: string, options: ApiTokenCreation): {'full-tokenid': string; info: Partial<ApiTokenInfo>; value: string} {
    this.checkUserExists(userid)
    if (this.tokens.get(userid)?.has(tokenid)) {
      throw new PveError(400, 'Parameter verification failed.\n', {errors: {tokenid: 'Token already exists.'}})
    }
    const value = randomUUID()
    const info: ApiTokenInfo = {privsep: options.privsep === false ? 0 : 1, expire: options.expire ?? 0}
    if (options.comment) info.comment = options.comment
    const userTokens = this.tokens.get(userid) ?? new Map<string, TokenEntry>()
    userTokens.set(tokenid, {info, value})
    this.tokens.set(userid, userTokens)
    // The answer's info is the hash generate_token built: privsep always, expire and comment only when given.
    const answered: Partial<ApiTokenInfo> = {privsep: info.privsep}
    if (options.expire !== undefined) answered.expire = options.expire
    if (info.comment) answered.comment = info.comment
    return {'full-tokenid': `${userid}!${tokenid}`, info: answered, value}
  }

  /** `PUT …/token/{tokenid}` (update_token_info) without `regenerate`/`delete`. */
  update(userid: string, tokenid: string, changes: ApiTokenCreation): ApiTokenInfo {
    const entry = this.entry(userid, tokenid)
    if (changes.privsep !== undefined) entry.info.privsep = changes.privsep ? 1 : 0
    if (changes.expire !== undefined) entry.info.expire = changes.expire
    if (changes.comment !== undefined) {
      if (changes.comment === '') delete entry.info.comment
      else entry.info.comment = changes.comment
    }
    return {...entry.info}
  }

  remove(userid: string, tokenid: string): void {
    this.entry(userid, tokenid)
    this.tokens.get(userid)?.delete(tokenid)
  }

  /** The token of a full id, if it exists (for ACL checks and privsep). */
  find(fullTokenId: string): ApiTokenInfo | undefined {
    const parts = splitTokenId(fullTokenId)
    if (!parts) return undefined
    return this.tokens.get(parts.userid)?.get(parts.tokenid)?.info
  }

  /**
   * verify_token: `USER@REALM!TOKENID=SECRET`, split at the last `=` (`/^(.*)=(.*)$/`). Each die text becomes
   * the 401's reason phrase (pve-http-server AnyEvent.pm: `HTTP::Response->new(HTTP_UNAUTHORIZED, $err)`).
   */
  verify(apiToken: string): string {
    const fail = (message: string): PveError => new PveError(401, message, {emptyBody: true})
    const separator = apiToken.lastIndexOf('=')
    if (separator < 0) throw fail('no tokenid specified\n')
    const fullTokenId = apiToken.slice(0, separator)
    const value = apiToken.slice(separator + 1)
    const parts = splitTokenId(fullTokenId)
    if (!parts) throw fail(`'${fullTokenId}' is not a valid token ID - not able to split into user and token parts\n`)
    try {
      this.users.checkEnabled(parts.userid)
    } catch (error) {
      throw fail((error as Error).message)
    }
    const entry = this.tokens.get(parts.userid)?.get(parts.tokenid)
    if (!entry) throw fail(`no such token '${parts.tokenid}' for user '${parts.userid}'\n`)
    if (entry.info.expire && entry.info.expire < this.clock.nowSeconds()) throw fail(`token '${parts.tokenid}' access expired\n`)
    const expected = Buffer.from(entry.value)
    const given = Buffer.from(value)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw fail('invalid token value!\n')
    return fullTokenId
  }

  /** Every token of every user, without values: for the sandbox controls. */
  all(): StoredApiToken[] {
    return [...this.tokens.entries()].flatMap(([userid, userTokens]) =>
      [...userTokens.entries()].map(([tokenid, entry]) => ({userid, tokenid, ...entry.info})),
    )
  }
}
