import type {IncomingHttpHeaders} from 'node:http'

import {uriUnescape} from './uri-unescape.js'

/**
 * Where PVE looks for a ticket (pve-http-server Formatter.pm extract_auth_value): the `PVEAuthCookie` cookie,
 * which must start the header or follow whitespace (`a=b; PVEAuthCookie=…` works, `a=b;PVEAuthCookie=…` does
 * not), then an `Authorization: PVEAuthCookie=…` header. The value is URI-unescaped, so raw and encoded work.
 */
const AUTH_COOKIE = /(?:^|\s)PVEAuthCookie(?:=| )([^;]*)/

export function extractTicket(headers: IncomingHttpHeaders): string | undefined {
  for (const header of [headers.cookie, headers.authorization]) {
    if (!header) continue
    const match = AUTH_COOKIE.exec(header)
    const value = match?.[1] ? uriUnescape(match[1]) : ''
    if (value) return value
  }
  return undefined
}

export function extractCsrfToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.csrfpreventiontoken
  return Array.isArray(value) ? value[0] : value
}

/**
 * An API token from `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`, looked for only when no ticket came
 * (pve-http-server AnyEvent.pm: "finally, fallback to API token if no ticket has been provided so far"), with the
 * same extract_auth_value pattern and URI-unescaping as the ticket.
 */
const API_TOKEN = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/

export function extractApiToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization
  if (!header) return undefined
  const match = API_TOKEN.exec(header)
  const value = match?.[1] ? uriUnescape(match[1]) : ''
  return value || undefined
}
