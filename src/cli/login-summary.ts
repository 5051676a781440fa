import {formatMoment} from '../format/duration.js'
import type {SessionStatus} from '../format/session-json.js'
import type {Session} from '../session/session.js'

/** One or two lines for a person after a login: who, where, until when, kept where. */
export function loginSummary(session: Session, now: Date = new Date(), timeZone?: string): string {
  const cluster = session.clusterName ? ` (cluster ${session.clusterName})` : ''
  const kept = session.storeKind === 'none' ? 'not stored (--store none)' : `stored in the ${session.storeKind === 'keychain' ? 'OS keychain' : 'file store'}`
  return `Logged in to ${session.server}${cluster} as ${session.username}.\nThe ticket is valid until ${formatMoment(session.expiresAt, now, timeZone)}, and ${kept}; later commands renew it silently.`
}

/** `login --json`: the identity fields of a `status --json` entry, plus the store and (when asked for) the secret. */
export interface LoginResultJson extends Pick<SessionStatus, 'server' | 'realm' | 'username' | 'clusterName' | 'issuedAt' | 'expiresAt'> {
  store: string
  ticket?: string
  csrfToken?: string
}

/** `login --json`: no ticket unless asked for, so a log of the output does not leak it. */
export function loginResultJson(session: Session, options: {includeTicket?: boolean} = {}): LoginResultJson {
  const result: LoginResultJson = {
    server: session.server,
    realm: session.realm,
    username: session.username,
    clusterName: session.clusterName ?? null,
    issuedAt: session.issuedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    store: session.storeKind,
  }
  if (options.includeTicket) {
    result.ticket = session.ticket
    result.csrfToken = session.csrfToken
  }
  return result
}
