import type {IncomingMessage, ServerResponse} from 'node:http'

import {readRequestBody} from './request-body.js'
import type {FaultKind} from './request-log.js'
import {FAULT_KINDS, type SandboxControls} from './sandbox-controls.js'

/**
 * HTTP face of the sandbox controls, under `/__sandbox/` on the PVE server (outside /api2, so it never collides
 * with PVE paths and never shows up in the request log). JSON in, JSON out; see docs/sandbox.md.
 */
export const CONTROL_PREFIX = '/__sandbox/'

class ControlInputError extends Error {}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store'})
  response.end(text)
}

async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readRequestBody(request)
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ControlInputError('body is not JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ControlInputError('body must be a JSON object')
  return parsed as Record<string, unknown>
}

function numberField(body: Record<string, unknown>, name: string, fallback?: number): number {
  const value = body[name] ?? fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ControlInputError(`"${name}" must be a number`)
  return value
}

function booleanField(body: Record<string, unknown>, name: string): boolean {
  const value = body[name]
  if (typeof value !== 'boolean') throw new ControlInputError(`"${name}" must be true or false`)
  return value
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string' || value === '') throw new ControlInputError(`"${name}" must be a non-empty string`)
  return value
}

function faultKind(body: Record<string, unknown>): FaultKind {
  const kind = body.kind
  if (!FAULT_KINDS.includes(kind as FaultKind)) throw new ControlInputError(`"kind" must be one of ${FAULT_KINDS.join(', ')}`)
  return kind as FaultKind
}

type ControlHandler = (controls: SandboxControls, body: Record<string, unknown>) => unknown

const CONTROL_ROUTES: Record<string, ControlHandler> = {
  'GET state': (controls) => controls.state(),
  'GET requests': (controls) => controls.requestLog.list(),
  'GET idp-events': (controls) => controls.idpEvents.list(),
  'GET syslog': (controls) => controls.syslog.list(),
  'GET users': (controls) => controls.listUsers(),
  'GET api-tokens': (controls) => controls.listApiTokens(),
  'POST clock': (controls, body) => {
    controls.clock.setOffsetSeconds(Math.trunc(numberField(body, 'offsetSeconds')))
    return controls.state()
  },
  'POST date-offset': (controls, body) => {
    controls.setDateHeaderOffsetSeconds(Math.trunc(numberField(body, 'offsetSeconds')))
    return controls.state()
  },
  'POST cluster-name': (controls, body) => {
    if (body.name !== null && typeof body.name !== 'string') throw new ControlInputError('"name" must be a string or null')
    controls.setClusterName(body.name)
    return controls.state()
  },
  'POST latency': (controls, body) => {
    const ms = numberField(body, 'ms')
    if (ms < 0) throw new ControlInputError('"ms" must not be negative')
    controls.setLatencyMs(ms)
    return controls.state()
  },
  'POST fault': (controls, body) => {
    const message = body.message === undefined ? undefined : stringField(body, 'message')
    controls.setFault(stringField(body, 'path'), faultKind(body), Math.trunc(numberField(body, 'count', 1)), message)
    return controls.state()
  },
  'POST faults/clear': (controls) => {
    controls.clearFaults()
    return controls.state()
  },
  'POST old-pve': (controls, body) => {
    controls.setOldPve(booleanField(body, 'enabled'))
    return controls.state()
  },
  'POST pve-version': (controls, body) => {
    try {
      controls.setPveVersion(stringField(body, 'version'))
    } catch (error) {
      throw new ControlInputError((error as Error).message)
    }
    return controls.state()
  },
  'POST realms': (controls, body) => {
    const visible = body.visible ?? null
    const defaultRealm = body.default ?? null
    if (visible !== null && (!Array.isArray(visible) || !visible.every((name) => typeof name === 'string'))) {
      throw new ControlInputError('"visible" must be a list of realm names or null')
    }
    if (defaultRealm !== null && typeof defaultRealm !== 'string') throw new ControlInputError('"default" must be a realm name or null')
    try {
      controls.setRealms(visible as string[] | null, defaultRealm as string | null)
    } catch (error) {
      throw new ControlInputError((error as Error).message)
    }
    return controls.state()
  },
  'POST api-tokens': (controls, body) => {
    controls.setApiTokens(booleanField(body, 'enabled'))
    return controls.state()
  },
  'POST user': (controls, body) => {
    const userid = stringField(body, 'userid')
    const enable = booleanField(body, 'enable')
    if (!controls.setUserEnabled(userid, enable)) throw new ControlInputError(`no such user '${userid}'`)
    return {userid, enable}
  },
  'POST reset-log': (controls) => {
    controls.resetLogs()
    return {ok: true}
  },
  'POST reset': (controls) => {
    controls.reset()
    return controls.state()
  },
}

export async function handleControlRequest(controls: SandboxControls, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const handler = CONTROL_ROUTES[`${request.method ?? 'GET'} ${url.pathname.slice(CONTROL_PREFIX.length)}`]
  if (!handler) {
    sendJson(response, 404, {error: `unknown control ${request.method} ${url.pathname}`})
    return
  }
  try {
    const body = request.method === 'POST' ? await readJsonObject(request) : {}
    sendJson(response, 200, handler(controls, body))
  } catch (error) {
    sendJson(response, error instanceof ControlInputError ? 400 : 500, {error: (error as Error).message})
  }
}
