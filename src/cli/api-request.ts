/** `pve-login api PATH [-X METHOD] [-f key=value ...]` read into one PVE API call. Pure; oclif-free. */
import {InvalidInputError} from '../errors.js'

export const API_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const
export type ApiMethod = (typeof API_METHODS)[number]

export interface ApiRequest {
  method: ApiMethod
  /** Below /api2/json, with a leading slash and no query: `/nodes/pve1/qemu`. */
  path: string
  /** A repeated key (`-f link=a -f link=b`) becomes a list, which PVE's form decoding reads as repeated fields. */
  params: Record<string, string | string[]>
}

const API_PREFIX = /^\/?api2\/json(?=\/|$)/

/**
 * Accepts the path the way people copy it: `/nodes`, `nodes`, `/api2/json/nodes`, with or without a query string
 * (`cluster/resources?type=vm`, whose parameters join the -f fields).
 */
export function parseApiRequest(pathText: string, method: string | undefined, fields: readonly string[] = []): ApiRequest {
  const text = pathText.trim()
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new InvalidInputError(`${JSON.stringify(pathText)} is a URL; give the API path only.`, {
      hint: 'The server comes from --server or the remembered profile: pve-login api /nodes (or nodes, or /api2/json/nodes).',
    })
  }
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  if (/[\x00-\x20\x7f]/.test(text)) throw new InvalidInputError(`The API path ${JSON.stringify(pathText)} contains a space or control character.`)
  const queryStart = text.indexOf('?')
  const rawPath = queryStart === -1 ? text : text.slice(0, queryStart)
  const stripped = rawPath.replace(API_PREFIX, '').replace(/^\/+/, '').replace(/\/+$/, '')
  checkPathSegments(pathText, stripped)
  const params: ApiRequest['params'] = {}
  const add = (key: string, value: string) => {
    const earlier = params[key]
    params[key] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value]
  }
  if (queryStart !== -1) for (const [key, value] of new URLSearchParams(text.slice(queryStart + 1))) add(key, value)
  for (const field of fields) {
    const equals = field.indexOf('=')
    if (equals <= 0) {
      throw new InvalidInputError(`-f ${JSON.stringify(field)} is not key=value.`, {hint: 'Give each parameter as -f key=value, e.g. -f newid=123 -f full=1.'})
    }
    add(field.slice(0, equals), field.slice(equals + 1))
  }
  return {method: parseApiMethod(method), path: `/${stripped}`, params}
}

/**
 * `..` (also as `%2e%2e`, `.%2E`, or with `\` for `/`, which URLs treat alike) would take the request, cookie and all,
 * out of /api2/json to any path of the server: refused, as are `.` segments. PVE's own API paths never contain them
 * (an encoded slash inside a segment, as in a volume id `local:iso%2Fx.iso`, stays allowed: URLs do not resolve it).
 */
function checkPathSegments(original: string, path: string): void {
  const refuse = (why: string) =>
    new InvalidInputError(`The API path ${JSON.stringify(original)} ${why}.`, {
      hint: 'Give a path below /api2/json as PVE lists it, e.g. /nodes/pve1/qemu; "." and ".." segments are not allowed.',
    })
  if (path.includes('\\')) throw refuse('contains a backslash')
  for (const segment of path.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      throw refuse('has a malformed %-escape')
    }
    if (decoded === '.' || decoded === '..') throw refuse('has a "." or ".." segment, which would leave /api2/json')
  }
}

function parseApiMethod(text: string | undefined): ApiMethod {
  const method = (text ?? 'GET').toUpperCase()
  if ((API_METHODS as readonly string[]).includes(method)) return method as ApiMethod
  throw new InvalidInputError(`-X ${text} is not a method PVE's API uses.`, {hint: `Use one of: ${API_METHODS.join(', ')}.`})
}
