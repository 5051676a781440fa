import type {IncomingMessage, ServerResponse} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {BodyTooLargeError, readRequestBody} from './request-body.js'
import type {ApiTokenDirectory} from './pve-api-tokens.js'
import {extractApiToken, extractCsrfToken, extractTicket} from './pve-credentials.js'
import {authenticationFailed, invalidCsrfToken, noTicket, notImplemented, PveError} from './pve-error.js'
import {collectRawParameters, validateParameters} from './pve-parameters.js'
import {sendPveData, sendPveError} from './pve-responses.js'
import type {ApiRoute} from './pve-routes.js'
import type {TicketAuthority} from './pve-tickets.js'
import type {PveUserDirectory} from './pve-users.js'

/**
 * pveproxy's request handling for `/api2/json`: authenticate (ticket, then CSRF token on writes) unless the path
 * is on the allow-list, find the handler (501 if none), validate parameters (400), run it, and answer in PVE's
 * JSON envelope. Every 401 is held back for the configured delay, as pvedaemon holds it for about 3 s.
 */
export const API_PREFIX = '/api2/json'

export interface PveApiOptions {
  routes: readonly ApiRoute[]
  tickets: TicketAuthority
  users: PveUserDirectory
  apiTokens: ApiTokenDirectory
  /** How long a 401 takes in total; PVE waits about 3 s. */
  authFailureDelayMs: number
  /** False: PVE before 6.2, without API tokens. Read on every request. */
  hasApiTokens(): boolean
  /** Old pve-http-server (< 5.2.0): error bodies without `message`. Read on every request. */
  isOldPve(): boolean
  /** The node's clock (the sandbox clock, which tests may skew): what the `Date` header says. */
  now(): Date
}

interface RouteMatch {
  route: ApiRoute
  pathValues: Record<string, string>
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateSegments = template.split('/')
  const pathSegments = path.split('/')
  if (templateSegments.length !== pathSegments.length) return undefined
  const values: Record<string, string> = {}
  for (const [index, expected] of templateSegments.entries()) {
    const actual = pathSegments[index] ?? ''
    const parameter = /^\{(.+)\}$/.exec(expected)?.[1]
    if (parameter === undefined) {
      if (actual !== expected) return undefined
      continue
    }
    if (actual === '') return undefined
    try {
      values[parameter] = decodeURIComponent(actual)
    } catch {
      return undefined
    }
  }
  return values
}

export class PveApi {
  constructor(private readonly options: PveApiOptions) {}

  private findRoute(method: string, path: string): RouteMatch | undefined {
    for (const route of this.options.routes) {
      if (route.method !== method) continue
      if (route.apiTokenFeature && !this.options.hasApiTokens()) continue
      const pathValues = matchPath(route.path, path)
      if (pathValues) return {route, pathValues}
    }
    return undefined
  }

  /**
   * pve-manager PVE/HTTPServer.pm auth_handler: the ticket's user, or an API token's full id (`user@realm!id`,
   * which is then "the user" of the request), or a body-less 401. Only ticket requests need the CSRF token: API
   * tokens were made for stateless clients (the same file: `if ($method ne 'GET' && !($api_token || $isUpload))`).
   */
  private authenticate(request: IncomingMessage): {authId: string; apiToken: boolean} {
    const ticket = extractTicket(request.headers)
    if (!ticket) {
      const apiToken = this.options.hasApiTokens() ? extractApiToken(request.headers) : undefined
      if (apiToken) return {authId: this.options.apiTokens.verify(apiToken), apiToken: true}
      throw noTicket()
    }
    const userid = this.options.tickets.verifyTicket(ticket)
    if (!userid) throw authenticationFailed()
    try {
      this.options.users.checkEnabled(userid)
    } catch {
      throw authenticationFailed()
    }
    if (request.method !== 'GET') {
      const token = extractCsrfToken(request.headers)
      if (!token || !this.options.tickets.verifyCsrfToken(userid, token)) throw invalidCsrfToken()
    }
    return {authId: userid, apiToken: false}
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const started = Date.now()
    const method = request.method ?? 'GET'
    try {
      if (!url.pathname.startsWith(`${API_PREFIX}/`)) throw notImplemented(method, url.pathname)
      const path = url.pathname.slice(API_PREFIX.length)
      const match = this.findRoute(method, path)
      // Authentication comes first: an unknown path without a ticket is "No ticket", not 501.
      const auth = !match || match.route.requiresAuth ? this.authenticate(request) : undefined
      if (!match) throw notImplemented(method, path)
      const userid = auth?.authId
      // pve-manager HTTPServer.pm rest_handler: methods with `allowtoken => 0` refuse token requests.
      if (auth?.apiToken && match.route.allowToken === false) {
        throw new PveError(403, `Permission check failed (URI '${path}' not available with API token, need proper ticket.\n)\n`)
      }
      const body = await readRequestBody(request)
      const raw = collectRawParameters(url.searchParams, body, request.headers['content-type'])
      // rest_handler checks permissions before the method validates its parameters.
      if (userid !== undefined) match.route.checkPermission?.(userid, {...raw, ...match.pathValues})
      const params = validateParameters(match.route.parameters, {...raw, ...match.pathValues})
      const data = await match.route.handle({params, userid, clientAddress: request.socket.remoteAddress ?? 'unknown'})
      sendPveData(response, data, this.options.now())
    } catch (error) {
      const pveError = toPveError(error)
      if (pveError.status === 401) await sleep(Math.max(0, this.options.authFailureDelayMs - (Date.now() - started)))
      sendPveError(response, pveError, {includeMessage: !this.options.isOldPve(), date: this.options.now()})
    }
  }
}

function toPveError(error: unknown): PveError {
  if (error instanceof PveError) return error
  if (error instanceof BodyTooLargeError) return new PveError(413, `${error.message}\n`)
  const message = error instanceof Error ? error.message : String(error)
  return new PveError(500, message.endsWith('\n') ? message : `${message}\n`)
}
