import {CookieJar} from './cookie-jar.js'

/**
 * Walks the sandbox identity provider's pages like a person with a browser: open the authorization URL, fill in
 * the login form (or press Cancel), follow redirects, and stop at the first redirect that leaves the IdP. That
 * redirect is the OAuth callback (`?code=…&state=…` or `?error=access_denied…`); it is returned, not requested.
 * Plain fetch and no crypto, so jest tests can use it in-process.
 */
export type SignInAction = 'login' | 'deny'

export interface SignInOptions {
  username: string
  password: string
  action?: SignInAction
}

export class IdpSignInError extends Error {
  override readonly name = 'IdpSignInError'
}

const MAX_STEPS = 20

interface PendingRequest {
  url: URL
  method: 'GET' | 'POST'
  form?: URLSearchParams
}

function decodeHtmlAttribute(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function formActions(html: string): string[] {
  return [...html.matchAll(/<form\b[^>]*\baction="([^"]*)"/g)].map((match) => decodeHtmlAttribute(match[1] ?? ''))
}

/** The visible error text of an IdP page, for messages that say what went wrong. */
function pageProblem(html: string): string {
  const field = (name: string): string | undefined => {
    const match = new RegExp(`<p class="${name}"[^>]*>(?:<strong>[^<]*</strong>: )?([^<]*)</p>`).exec(html)
    return match?.[1] ? decodeHtmlAttribute(match[1]) : undefined
  }
  return [field('problem'), field('error'), field('error_description')].filter(Boolean).join(': ') || 'no details'
}

/**
 * pve-login opens a one-time start URL on its own listener (http://127.0.0.1:PORT/start/…), which redirects to the
 * IdP; a browser follows that redirect. Any other URL is taken as the IdP's authorization URL and returned as is.
 */
export async function followStartUrl(url: string): Promise<string> {
  const target = new URL(url)
  const loopback = target.hostname === '127.0.0.1' || target.hostname === 'localhost'
  // The sandbox IdP listens on loopback too: only pve-login's /start/ path is a start URL.
  if (target.protocol !== 'http:' || !loopback || !target.pathname.startsWith('/start/')) return url
  const response = await fetch(target, {headers: {accept: 'text/html'}, redirect: 'manual'})
  await response.arrayBuffer()
  const location = response.headers.get('location')
  if (response.status !== 302 || !location) throw new Error(`the start URL answered ${response.status} instead of a redirect`)
  return location
}

export async function signInAtIdp(authorizationUrl: string | URL, options: SignInOptions): Promise<URL> {
  const start = new URL(authorizationUrl)
  const jar = new CookieJar()
  let submitted = false
  let next: PendingRequest = {url: start, method: 'GET'}

  for (let step = 0; step < MAX_STEPS; step++) {
    const headers: Record<string, string> = {accept: 'text/html,application/xhtml+xml'}
    const cookie = jar.headerFor(next.url)
    if (cookie) headers.cookie = cookie
    if (next.form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(next.url, {method: next.method, headers, body: next.form?.toString(), redirect: 'manual'})
    jar.store(response.headers.getSetCookie())

    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel()
      const target = new URL(location, next.url)
      if (target.origin !== start.origin) return target
      next = {url: target, method: 'GET'}
      continue
    }

    const html = await response.text()
    const actions = formActions(html)
    const loginAction = actions.find((action) => action.endsWith('/login'))
    const abortAction = actions.find((action) => action.endsWith('/abort'))
    if (response.status !== 200 || !loginAction || !abortAction) {
      throw new IdpSignInError(`identity provider answered HTTP ${response.status} at ${next.url.pathname}: ${pageProblem(html)}`)
    }
    if (submitted) throw new IdpSignInError(`identity provider refused the sign-in: ${pageProblem(html)}`)
    submitted = true
    next =
      options.action === 'deny'
        ? {url: new URL(abortAction, next.url), method: 'POST', form: new URLSearchParams({cancel: '1'})}
        : {
            url: new URL(loginAction, next.url),
            method: 'POST',
            form: new URLSearchParams({username: options.username, password: options.password}),
          }
  }
  throw new IdpSignInError(`no redirect away from the identity provider after ${MAX_STEPS} steps`)
}
