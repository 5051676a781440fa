import {timingSafeEqual} from 'node:crypto'

/** The path of the redirect URL; nothing else on the listener answers. */
export const CALLBACK_PATH = '/callback'

/** What one request to the callback (or one pasted redirect URL) amounts to. */
export type CallbackVerdict =
  | {kind: 'code'; code: string; state: string}
  | {kind: 'idp-error'; error: string; description: string | undefined}
  | {kind: 'rejected'; status: 400 | 404 | 405; reason: string}

export interface CallbackExpectation {
  port: number
  /** The `state` from PVE's auth URL; undefined until auth-url has answered (nothing can be accepted before). */
  state: string | undefined
}

/**
 * Decides whether a request is the IdP's redirect for this login: `GET /callback` on `127.0.0.1:PORT` or
 * `localhost:PORT` (a Host check, so a web page cannot reach the listener through DNS rebinding), carrying exactly the
 * state PVE put into the auth URL (so a stray process or another tab cannot feed this login a code). Reasons never
 * contain the code or the state.
 */
export function judgeCallback(method: string, host: string | undefined, target: string, expected: CallbackExpectation): CallbackVerdict {
  let url: URL
  try {
    url = new URL(target, 'http://callback.invalid')
  } catch {
    return {kind: 'rejected', status: 400, reason: 'The request address cannot be read.'}
  }
  if (url.pathname !== CALLBACK_PATH) return {kind: 'rejected', status: 404, reason: `Only ${CALLBACK_PATH} answers here.`}
  if (method !== 'GET') return {kind: 'rejected', status: 405, reason: 'The sign-in callback must be a GET request.'}
  const hostname = (host ?? '').toLowerCase()
  if (hostname !== `127.0.0.1:${expected.port}` && hostname !== `localhost:${expected.port}`) {
    return {kind: 'rejected', status: 400, reason: `The callback must be addressed to 127.0.0.1:${expected.port} or localhost:${expected.port}.`}
  }
  if (expected.state === undefined) return {kind: 'rejected', status: 400, reason: 'The login has not asked the identity provider yet.'}

  const params = url.searchParams
  for (const name of ['state', 'code', 'error', 'error_description']) {
    if (params.getAll(name).length > 1) return {kind: 'rejected', status: 400, reason: `The callback has more than one "${name}".`}
  }
  const state = params.get('state')
  if (state === null) return {kind: 'rejected', status: 400, reason: 'The callback has no state, so it cannot belong to this login.'}
  if (!sameText(state, expected.state)) {
    return {kind: 'rejected', status: 400, reason: 'The callback belongs to another login (its state does not match this one).'}
  }
  const error = params.get('error')
  if (error !== null) return {kind: 'idp-error', error, description: params.get('error_description') ?? undefined}
  const code = params.get('code')
  if (!code) return {kind: 'rejected', status: 400, reason: 'The callback has neither a code nor an error.'}
  return {kind: 'code', code, state}
}

/** Judges a redirect URL a person pasted: the same rules as for the browser's request, plus the http scheme. */
export function judgePastedUrl(text: string, expected: CallbackExpectation): CallbackVerdict {
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    return {kind: 'rejected', status: 400, reason: `That is not a URL; paste the whole address (http://127.0.0.1:${expected.port}${CALLBACK_PATH}?…).`}
  }
  const expectedStart = `http://127.0.0.1:${expected.port}${CALLBACK_PATH}`
  // Name the first part that is wrong, in the order it is read: scheme, host and port, then path. (A browser's
  // request is judged path first, since a favicon on the right host is no news; a pasted address is.)
  if (url.protocol !== 'http:') return {kind: 'rejected', status: 400, reason: `The address starts with ${url.protocol}//; the sign-in ends at ${expectedStart}?….`}
  const host = url.host.toLowerCase()
  if (host !== `127.0.0.1:${expected.port}` && host !== `localhost:${expected.port}`) {
    const what = url.hostname === '127.0.0.1' || url.hostname === 'localhost' ? `port ${url.port || '80'}` : `host ${url.host}`
    return {kind: 'rejected', status: 400, reason: `That address is for ${what}, not this login; the sign-in ends at ${expectedStart}?….`}
  }
  if (url.pathname !== CALLBACK_PATH) return {kind: 'rejected', status: 400, reason: `That address has the path ${url.pathname}; the sign-in ends at ${expectedStart}?….`}
  return judgeCallback('GET', url.host, `${url.pathname}${url.search}`, expected)
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
