/**
 * PVE ticket arithmetic. A ticket is `PVE:<userid>:<8 upper-hex epoch>::<signature>`; PVE accepts it while
 * -300 s < age < 7200 s (pve-access-control AccessControl.pm: $ticket_lifetime, $auth_graceperiod).
 * Everything else about the ticket is opaque to us.
 */
export const TICKET_LIFETIME_SECONDS = 7200
export const AUTH_GRACE_SECONDS = 300
/** Stop using a ticket this long before PVE would reject it: requests in flight and clock drift need room. */
export const TICKET_SAFETY_MARGIN_SECONDS = 60

const TICKET_PATTERN = /^PVE:(\S+):([0-9A-F]{8})::[^:\s]+$/

export interface TicketInfo {
  userid: string
  issuedAt: Date
}

/** Reads user and issue time from a ticket; undefined when it does not look like a PVE ticket. */
export function parseTicket(ticket: string): TicketInfo | undefined {
  const match = TICKET_PATTERN.exec(ticket)
  if (!match) return undefined
  const [, userid, hex] = match as unknown as [string, string, string]
  return {userid: decodeURIComponent(userid), issuedAt: new Date(Number.parseInt(hex, 16) * 1000)}
}

/**
 * The ticket's timestamp is the server's clock; PVE judges its age by the server's clock too. So every expiry is
 * computed in server time, with `clockOffsetSeconds` (server clock minus this machine's, measured at login and
 * renewal: see measureClockOffset) turning it into this machine's time. 0 when unknown (sessions stored before).
 */

/** When PVE stops accepting a ticket issued at `issuedAt`, as this machine's clock will read then. */
export function ticketExpiresAt(issuedAt: Date, clockOffsetSeconds = 0): Date {
  return new Date(issuedAt.getTime() + (TICKET_LIFETIME_SECONDS - clockOffsetSeconds) * 1000)
}

/** Seconds this ticket can still be used by us (PVE lifetime minus our safety margin); negative once unusable. */
export function usableSecondsLeft(issuedAt: Date, now: Date = new Date(), clockOffsetSeconds = 0): number {
  return (ticketExpiresAt(issuedAt, clockOffsetSeconds).getTime() - now.getTime()) / 1000 - TICKET_SAFETY_MARGIN_SECONDS
}

/** True when the issue time lies beyond PVE's grace period in the server's future: a clock changed since the offset was measured. */
export function hasClockSkew(issuedAt: Date, now: Date = new Date(), clockOffsetSeconds = 0): boolean {
  return issuedAt.getTime() - (now.getTime() + clockOffsetSeconds * 1000) > AUTH_GRACE_SECONDS * 1000
}

/** An offset beyond this is worth a warning: other tools on this machine that compute expiry locally will be off. */
export const CLOCK_OFFSET_WARNING_SECONDS = 60

/**
 * Server clock minus this machine's, in whole seconds, from an answer received at `receivedAt`: the ticket's own
 * timestamp when there is one (it is what PVE judges the ticket's age by), else the HTTP Date header. Undefined
 * when neither is readable. Both have one-second resolution, and latency only makes the server look earlier.
 */
export function measureClockOffset(receivedAt: Date, sources: {ticketIssuedAt?: Date; dateHeader?: string | null}): number | undefined {
  let serverTime = sources.ticketIssuedAt?.getTime()
  if (serverTime === undefined && sources.dateHeader) {
    const parsed = Date.parse(sources.dateHeader)
    if (!Number.isNaN(parsed)) serverTime = parsed
  }
  if (serverTime === undefined) return undefined
  // Both clocks tick in whole seconds here; a difference below two seconds is rounding, not skew.
  const offset = Math.round((serverTime - receivedAt.getTime()) / 1000)
  return Math.abs(offset) < 2 ? 0 : offset
}
