/**
 * Where an IdP's discovery document may live, given only the authorization URL PVE returned: the issuer is, for
 * most IdPs, a path prefix of its authorization endpoint (Keycloak `/realms/x/protocol/openid-connect/auth` under
 * `/realms/x`, Authelia `/api/oidc/authorization` under the origin, oidc-provider `/auth` under its mount). Some
 * put the issuer elsewhere, and those are tried first:
 *
 * - Microsoft Entra ID: authorization `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize`, issuer
 *   `https://login.microsoftonline.com/{tenant}/v2.0` (learn.microsoft.com, "OpenID Connect on the Microsoft
 *   identity platform": the v2.0 discovery document is at `/{tenant}/v2.0/.well-known/openid-configuration`);
 * - authentik: one authorization endpoint `/application/o/authorize/` for every application, issuer
 *   `/application/o/{slug}/` (docs.goauthentik.io, OAuth2 provider). The slug is not in the URL, so it can only be
 *   found from the realm's own issuer-url (known when a cached ticket may read the realm), which comes first.
 *
 * Candidates are issuer URLs (no `/.well-known/…`), most specific first, without duplicates, at most `limit`.
 */
export function issuerCandidates(authorizationUrl: string, knownIssuer?: string, limit = 8): string[] {
  const url = new URL(authorizationUrl)
  const candidates: string[] = []
  const add = (issuer: string) => {
    const normalized = issuer.replace(/\/+$/, '')
    if (!candidates.some((c) => c.replace(/\/+$/, '') === normalized)) candidates.push(issuer)
  }
  if (knownIssuer) add(knownIssuer)
  const entra = /^\/([^/]+)\/oauth2\/v2\.0\/authorize\/?$/.exec(url.pathname)
  if (entra) add(`${url.origin}/${entra[1]}/v2.0`)
  const segments = url.pathname.split('/').filter(Boolean)
  // The endpoint's own path is never an issuer; start one level up.
  for (let length = segments.length - 1; length >= 0; length -= 1) {
    add(length === 0 ? url.origin : `${url.origin}/${segments.slice(0, length).join('/')}`)
  }
  return candidates.slice(0, limit)
}

/** The discovery URL of an issuer, the way OpenID Connect Discovery 1.0 §4 and openidconnect-rs (PVE) join them. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
}

/** Whether a discovery document's authorization_endpoint is the endpoint of the URL PVE returned. */
export function sameEndpoint(authorizationEndpoint: unknown, authorizationUrl: string): boolean {
  if (typeof authorizationEndpoint !== 'string' || !URL.canParse(authorizationEndpoint)) return false
  const a = new URL(authorizationEndpoint)
  const b = new URL(authorizationUrl)
  return a.origin === b.origin && a.pathname.replace(/\/+$/, '') === b.pathname.replace(/\/+$/, '')
}
