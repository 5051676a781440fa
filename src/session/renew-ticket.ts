import type {PveClient, TicketResponse} from '../pve/pve-client.js'
import {parseTicket} from '../pve/ticket.js'
import type {SessionKey, SessionRecord} from './session-record.js'

/** Renews a session's ticket at PVE (POST /access/ticket with the ticket as password) and returns the new record. */
export async function renewRecord(client: PveClient, record: SessionRecord, now: () => Date): Promise<SessionRecord> {
  const response: TicketResponse = await client.renewTicket(record.username, record.ticket)
  return {
    ...record,
    ticket: response.ticket,
    csrfToken: response.CSRFPreventionToken,
    clusterName: response.clustername ?? record.clusterName,
    issuedAt: (parseTicket(response.ticket)?.issuedAt ?? now()).toISOString(),
  }
}

export function keyOf(record: SessionRecord): SessionKey {
  return {server: record.server, realm: record.realm}
}
