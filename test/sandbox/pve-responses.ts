import type {ServerResponse} from 'node:http'

import type {PveError} from './pve-error.js'

/** Headers every pve-api-daemon response carries (pve-http-server AnyEvent.pm `response`). */
function setDaemonHeaders(response: ServerResponse, status: number, date: Date): void {
  const now = date.toUTCString()
  response.setHeader('Server', 'pve-api-daemon/3.0')
  response.setHeader('Date', now)
  response.setHeader('Expires', now)
  response.setHeader('Cache-Control', 'max-age=0')
  response.setHeader('Pragma', 'no-cache')
  if (status >= 400) response.setHeader('Connection', 'close')
}

/** PVE's reason phrase is the first line of the message; Node refuses control characters in it. */
export function reasonPhrase(message: string): string {
  const firstLine = message.split('\n')[0] ?? ''
  return firstLine.replace(/[^\x20-\x7e]/g, '?')
}

function sendJson(response: ServerResponse, status: number, reason: string | undefined, body: unknown, date: Date): void {
  const text = JSON.stringify(body)
  setDaemonHeaders(response, status, date)
  response.setHeader('Content-Type', 'application/json;charset=UTF-8')
  response.setHeader('Content-Length', Buffer.byteLength(text))
  response.statusCode = status
  if (reason !== undefined) response.statusMessage = reason
  response.end(text)
}

/** `date`: the node's clock (the sandbox clock), which the `Date` and `Expires` headers show. */
export function sendPveData(response: ServerResponse, data: unknown, date: Date): void {
  sendJson(response, 200, 'OK', {data}, date)
}

export interface ErrorFormat {
  /** pve-http-server before 5.2.0 (Jan 2025) put the message only in the reason phrase, not in the body. */
  includeMessage: boolean
  /** The node's clock, for the `Date` header. */
  date: Date
}

export function sendPveError(response: ServerResponse, error: PveError, format: ErrorFormat): void {
  const reason = reasonPhrase(error.message)
  if (error.details.emptyBody) {
    setDaemonHeaders(response, error.status, format.date)
    response.statusCode = error.status
    response.statusMessage = reason
    response.setHeader('Content-Length', 0)
    response.end()
    return
  }
  const body: {data: null; errors?: Record<string, string>; message?: string} = {data: null}
  if (error.details.errors) body.errors = error.details.errors
  if (format.includeMessage) body.message = error.message
  sendJson(response, error.status, reason, body, format.date)
}
