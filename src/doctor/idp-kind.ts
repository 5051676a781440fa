import type {IdpKind} from './doctor-check.js'

/**
 * Which product an IdP is, from the shape of its authorization URL (each one's documented endpoint layout). Only
 * for advice (where to register a redirect URI, which port rule applies); nothing depends on it being right.
 */
export function idpKindOf(authorizationUrl: string): IdpKind {
  let url: URL
  try {
    url = new URL(authorizationUrl)
  } catch {
    return 'generic'
  }
  const host = url.hostname.toLowerCase()
  const path = url.pathname
  if (/^login\.microsoftonline\.(com|us)$|\.ciamlogin\.com$|^login\.partner\.microsoftonline\.cn$/.test(host)) return 'entra'
  if (host === 'accounts.google.com') return 'google'
  if (/\.okta(preview)?\.com$|\.okta-emea\.com$/.test(host) || /^\/oauth2\/(?:[^/]+\/)?v1\/authorize$/.test(path)) return 'okta'
  if (/^\/(?:auth\/)?realms\/[^/]+\/protocol\/openid-connect\/auth$/.test(path)) return 'keycloak'
  if (path === '/api/oidc/authorization' || path === '/api/oidc/authorize') return 'authelia'
  if (path.startsWith('/application/o/')) return 'authentik'
  if (path === '/oauth/v2/authorize') return 'zitadel'
  if (path === '/ui/oauth2') return 'kanidm'
  if (/\/dex\/auth$/.test(path)) return 'dex'
  return 'generic'
}

/**
 * Whether the IdP matches a loopback redirect URI on any port (RFC 8252 §7.3) once `http://127.0.0.1/callback` (or,
 * for Entra, `http://localhost/callback`) is registered, or compares the port too, so fixed ports must be registered
 * and used. From each IdP's documentation; `undefined` where it depends on the setup (authentik's regex, Dex with or
 * without redirect URIs, Pocket ID's version) or is not documented.
 */
export function anyLoopbackPort(idp: IdpKind): boolean | undefined {
  switch (idp) {
    case 'entra':
    case 'keycloak':
    case 'authelia':
    case 'google':
    case 'zitadel':
    case 'oidc-provider':
      return true
    case 'okta':
    case 'kanidm':
      return false
    default:
      return undefined
  }
}
