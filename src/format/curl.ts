/**
 * Hand-offs for curl and wget (`pve-login ticket --format curl|cookie-jar`): a curl config file (`curl -K file URL`)
 * that sends the ticket cookie and the CSRF header, and a Netscape cookie jar (`curl -b jar`, `wget --load-cookies
 * jar`). Both keep the ticket off the command line, where `ps` would show it.
 */
import {InvalidInputError} from '../errors.js'
import type {SessionRecord} from '../session/session-record.js'
import {ticketExpiresAt} from '../pve/ticket.js'

type CurlSession = Pick<SessionRecord, 'server' | 'ticket' | 'csrfToken' | 'issuedAt' | 'clockOffsetSeconds'>

/**
 * The ticket as a cookie value. PVE reads `PVEAuthCookie=([^;]*)` and URI-unescapes it (its web UI stores it
 * encoded too), so percent-encoding keeps the cookie within RFC 6265 for any user id without changing what PVE sees.
 */
function cookieValue(ticket: string): string {
  return encodeURIComponent(ticket)
}

/**
 * A curl config: `cookie` and `header` lines. PVE wants the CSRFPreventionToken header on every request that is
 * not a GET; sending it on GETs too is harmless and keeps one config good for every call.
 */
export function renderCurlConfig(session: CurlSession): string {
  return [
    '# pve-login: use with curl -K <this file> https://…/api2/json/…',
    `cookie = ${curlQuote('ticket', `PVEAuthCookie=${cookieValue(session.ticket)}`)}`,
    `header = ${curlQuote('CSRF token', `CSRFPreventionToken: ${session.csrfToken}`)}`,
    '',
  ].join('\n')
}

/**
 * A Netscape cookie jar holding the ticket for the server's host, marked secure for https, expiring with the
 * ticket so curl and wget drop it themselves.
 */
export function renderCookieJar(session: CurlSession): string {
  // A stored record's server is a URL and its issue time a date: parseSessionRecord checked both.
  const url = new URL(session.server)
  const expires = Math.floor(ticketExpiresAt(new Date(session.issuedAt), session.clockOffsetSeconds ?? 0).getTime() / 1000)
  const fields = [url.hostname, 'FALSE', '/', url.protocol === 'https:' ? 'TRUE' : 'FALSE', String(expires), 'PVEAuthCookie', cookieValue(session.ticket)]
  return ['# Netscape HTTP Cookie File', '# pve-login: use with curl -b <this file> or wget --load-cookies <this file>', fields.join('\t'), ''].join('\n')
}

/**
 * curl's config syntax: a double-quoted value takes `\\` and `\"` escapes. A line break would end the option, and
 * in a header it would let the value add headers of its own, so control characters are refused.
 */
function curlQuote(what: string, value: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  if (/[\x00-\x1f\x7f]/.test(value)) throw new InvalidInputError(`The ${what} contains a control character and cannot be written into a curl config.`)
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}
