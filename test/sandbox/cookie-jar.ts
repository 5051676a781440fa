/**
 * Just enough of a browser cookie store for one host: oidc-provider scopes its interaction and resume cookies
 * by path, and expires them by setting them again in the past.
 */
interface StoredCookie {
  name: string
  value: string
  path: string
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'
}

function isExpired(attributes: Map<string, string>): boolean {
  const maxAge = attributes.get('max-age')
  if (maxAge !== undefined) return Number(maxAge) <= 0
  const expires = attributes.get('expires')
  return expires !== undefined && Date.parse(expires) <= Date.now()
}

export class CookieJar {
  private readonly cookies: StoredCookie[] = []

  /** Takes the `Set-Cookie` header values of one response. */
  store(setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair = '', ...rawAttributes] = header.split(';')
      const separator = pair.indexOf('=')
      if (separator <= 0) continue
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      const attributes = new Map<string, string>()
      for (const attribute of rawAttributes) {
        const [key = '', ...rest] = attribute.split('=')
        attributes.set(key.trim().toLowerCase(), rest.join('=').trim())
      }
      const path = attributes.get('path') || '/'
      const existing = this.cookies.findIndex((cookie) => cookie.name === name && cookie.path === path)
      if (existing >= 0) this.cookies.splice(existing, 1)
      if (!isExpired(attributes)) this.cookies.push({name, value, path})
    }
  }

  /** The `Cookie` header for a request to `url`, or undefined when no cookie applies. */
  headerFor(url: URL): string | undefined {
    const matching = this.cookies.filter((cookie) => pathMatches(cookie.path, url.pathname))
    // Browsers send more specific paths first.
    matching.sort((a, b) => b.path.length - a.path.length)
    return matching.length ? matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') : undefined
  }
}
