import type {PveClient, TicketResponse} from '../pve/pve-client.js'
import {measureClockOffset, parseTicket} from '../pve/ticket.js'
import type {SessionKey, SessionRecord} from './session-record.js'

/** Renews a session's ticket at PVE (POST /access/ticket with the ticket as password) and returns the new record. */
export async function renewRecord(client: PveClient, record: SessionRecord, now: () => Date): Promise<SessionRecord> {
  const response: TicketResponse = await client.renewTicket(record.username, record.ticket)
  const ticketIssuedAt = parseTicket(response.ticket)?.issuedAt
  const offset = measureClockOffset(now(), {ticketIssuedAt, dateHeader: client.lastAnswer?.dateHeader})
  const {clockOffsetSeconds: _previous, ...rest} = record
  return {
    ...rest,
    ticket: response.ticket,
    csrfToken: response.CSRFPreventionToken,
    clusterName: response.clustername ?? record.clusterName,
    // Without a readable timestamp, "issued now" by the server's clock as last measured.
    issuedAt: (ticketIssuedAt ?? new Date(now().getTime() + (record.clockOffsetSeconds ?? 0) * 1000)).toISOString(),
    ...(offset ? {clockOffsetSeconds: offset} : {}),
  }
}

export function keyOf(record: SessionRecord): SessionKey {
  return {server: record.server, realm: record.realm}
}
