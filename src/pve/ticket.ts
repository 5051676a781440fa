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

/** When PVE stops accepting a ticket issued at `issuedAt`. */
export function ticketExpiresAt(issuedAt: Date): Date {
  return new Date(issuedAt.getTime() + TICKET_LIFETIME_SECONDS * 1000)
}

/** Seconds this ticket can still be used by us (PVE lifetime minus our safety margin); negative once unusable. */
export function usableSecondsLeft(issuedAt: Date, now: Date = new Date()): number {
  return (ticketExpiresAt(issuedAt).getTime() - now.getTime()) / 1000 - TICKET_SAFETY_MARGIN_SECONDS
}

/** True when the issue time lies beyond PVE's grace period in the future: the local clock (or the server's) is off. */
export function hasClockSkew(issuedAt: Date, now: Date = new Date()): boolean {
  return issuedAt.getTime() - now.getTime() > AUTH_GRACE_SECONDS * 1000
}
