import {capabilities, mayAuditRoot, type Capabilities} from './pve-permissions.js'
import type {TicketAuthority} from './pve-tickets.js'

/** The answer of a successful `/access/openid/login` or `/access/ticket` call. */
export interface LoginResult {
  username: string
  ticket: string
  CSRFPreventionToken: string
  cap: Capabilities
  clustername?: string
}

export function buildLoginResult(userid: string, tickets: TicketAuthority, clusterName: string | undefined): LoginResult {
  const result: LoginResult = {
    username: userid,
    ticket: tickets.assembleTicket(userid),
    CSRFPreventionToken: tickets.assembleCsrfToken(userid),
    cap: capabilities(userid),
  }
  if (clusterName !== undefined && mayAuditRoot(userid)) result.clustername = clusterName
  return result
}
