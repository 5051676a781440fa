import {formatMoment} from '../format/duration.js'
import type {SessionStatus} from '../format/session-json.js'
import {forTerminal} from '../format/terminal-text.js'
import type {Session} from '../session/session.js'

/** One or two lines for a person after a login: who, where, until when, kept where. */
export function loginSummary(session: Session, now: Date = new Date(), timeZone?: string): string {
  // User and cluster names come from PVE (and the IdP): shown, never sent raw to the terminal.
  const cluster = session.clusterName ? ` (cluster ${forTerminal(session.clusterName, {lineBreaks: false})})` : ''
  const kept = session.storeKind === 'none' ? 'not stored (--store none)' : `stored in the ${session.storeKind === 'keychain' ? 'OS keychain' : 'file store'}`
  return `Logged in to ${session.server}${cluster} as ${forTerminal(session.username, {lineBreaks: false})}.\nThe ticket is valid until ${formatMoment(session.expiresAt, now, timeZone)}, and ${kept}; later commands renew it silently.`
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
