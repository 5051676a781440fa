/**
 * The JSON that scripts read: `pve-login ticket --json` (one session, with the secret) and `pve-login status --json`
 * (every session, never a secret). These shapes are a contract: schemas/ticket.json and schemas/status.json
 * describe them and test/format-session-json.test.ts keeps both in step. Add optional fields; never rename or
 * remove one.
 */
import type {SessionRecord} from '../session/session-record.js'
import type {StoreKind} from '../store/ticket-store.js'
import {hasClockSkew, ticketExpiresAt, usableSecondsLeft} from '../pve/ticket.js'
import {RENEW_BEFORE_SECONDS} from '../session/renewal-policy.js'

/** `pve-login ticket --json`. */
export interface TicketJson {
  /** Server origin without `/api2/json`, e.g. `https://pve.example.com:8006`. */
  endpoint: string
  /** PVE user id, e.g. `alice@entra-cli`. */
  username: string
  /** Send as the `PVEAuthCookie` cookie. */
  ticket: string
  /** Send as the `CSRFPreventionToken` header on every request that is not a GET. */
  csrfToken: string
  /** The PVE cluster's name; null for a single node that is not in a cluster. */
  clusterName: string | null
  /** ISO 8601 UTC, seconds precision: when PVE issued the ticket (from its hex timestamp). */
  issuedAt: string
  /** ISO 8601 UTC, by this computer's clock: when PVE stops accepting the ticket (issuedAt + 2 h by the server's clock). */
  expiresAt: string
}

/** One entry of `pve-login status --json`. */
export interface SessionStatus {
  server: string
  realm: string
  username: string
  clusterName: string | null
  issuedAt: string
  expiresAt: string
  /**
   * Whole seconds pve-login will still use the ticket: until expiresAt minus a safety margin (src/pve/ticket.ts).
   * Negative once it is no longer used.
   */
  secondsLeft: number
  /** True while valid with fewer than the renewal threshold's seconds left: the next use renews without a browser. */
  renewalDue: boolean
  /** Where the session is kept: `keychain`, `file` or `none`. */
  store: StoreKind
  /** The ticket can be used now: secondsLeft > 0 and its issue time is not beyond PVE's grace in the future. */
  valid: boolean
  /** The API token stored with the session (`env --api-token`), without its secret; absent when there is none. */
  apiToken?: ApiTokenStatus
}

export interface ApiTokenStatus {
  /** `USER@REALM!TOKENID`. */
  fullTokenId: string
  /** ISO 8601 UTC: when PVE stops accepting the token. */
  expiresAt: string
  /** Whole seconds until then; negative once expired. */
  secondsLeft: number
  privsep: boolean
}

/** A stored session and the store it came from: what `status` lists. */
export interface StatusSource {
  record: SessionRecord
  store: StoreKind
}

export interface StatusOptions {
  now: Date
  /**
   * Renewal is due once fewer than this many usable seconds (secondsLeft) remain: the same measure as
   * minValidSeconds, so pass the value the caller renews at. Default RENEW_BEFORE_SECONDS (renewal-policy.ts).
   */
  renewBeforeSeconds?: number
}

export function ticketJson(record: Pick<SessionRecord, 'server' | 'username' | 'ticket' | 'csrfToken' | 'clusterName' | 'issuedAt' | 'clockOffsetSeconds'>): TicketJson {
  const issuedAt = new Date(record.issuedAt)
  return {
    endpoint: record.server.replace(/\/+$/, ''),
    username: record.username,
    ticket: record.ticket,
    csrfToken: record.csrfToken,
    clusterName: record.clusterName ?? null,
    issuedAt: formatTimestamp(issuedAt),
    expiresAt: formatTimestamp(ticketExpiresAt(issuedAt, record.clockOffsetSeconds ?? 0)),
  }
}

/** The `status --json` entry for one session, as of `options.now`. Carries no secret. */
export function sessionStatus(source: StatusSource, options: StatusOptions): SessionStatus {
  const {record, store} = source
  const issuedAt = new Date(record.issuedAt)
  const offset = record.clockOffsetSeconds ?? 0
  const expiresAt = ticketExpiresAt(issuedAt, offset)
  const secondsLeft = Math.floor(usableSecondsLeft(issuedAt, options.now, offset))
  const valid = secondsLeft > 0 && !hasClockSkew(issuedAt, options.now, offset)
  const renewBefore = options.renewBeforeSeconds ?? RENEW_BEFORE_SECONDS
  return {
    server: record.server,
    realm: record.realm,
    username: record.username,
    clusterName: record.clusterName ?? null,
    issuedAt: formatTimestamp(issuedAt),
    expiresAt: formatTimestamp(expiresAt),
    secondsLeft,
    // An expired ticket cannot renew itself (PVE wants a valid one as the password): that needs a browser login.
    renewalDue: valid && secondsLeft < renewBefore,
    store,
    valid,
    ...(record.apiToken ? {apiToken: apiTokenStatus(record.apiToken, options.now)} : {}),
  }
}

function apiTokenStatus(token: NonNullable<SessionRecord['apiToken']>, now: Date): ApiTokenStatus {
  // parseSessionRecord has checked that it is a date.
  const expiresAt = new Date(token.expiresAt)
  return {
    fullTokenId: token.fullTokenId,
    expiresAt: formatTimestamp(expiresAt),
    secondsLeft: Math.floor((expiresAt.getTime() - now.getTime()) / 1000),
    privsep: token.privsep,
  }
}

export function statusJson(sources: readonly StatusSource[], options: StatusOptions): SessionStatus[] {
  return sources.map((source) => sessionStatus(source, options))
}

/** JSON as pve-login prints it: two-space indent and a final newline, so `jq` and people read it alike. */
export function renderJson(value: TicketJson | readonly SessionStatus[] | SessionStatus): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/**
 * ISO 8601 in UTC with whole seconds (`2026-11-23T17:00:00Z`): ticket times have second resolution, and the
 * `.000` of Date#toISOString only looks like precision.
 */
export function formatTimestamp(date: Date): string {
  // toISOString always ends in .sssZ: drop the milliseconds.
  return `${date.toISOString().slice(0, -5)}Z`
}
