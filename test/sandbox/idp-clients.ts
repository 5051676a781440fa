import type {ClientMetadata} from 'oidc-provider'

// The applications registered at the sandbox IdP. Kept apart from idp.ts so PVE-side modules can name the
// clients without loading oidc-provider.

/** Public native client: what a CLI registers (RFC 8252; any loopback port matches these redirect URIs). */
export const PUBLIC_CLIENT_ID = 'pve-cli'
/** Confidential web client: what the PVE web UI realm registers; its only redirect URI is the web UI's. */
export const CONFIDENTIAL_CLIENT_ID = 'pve-ui'
export const CONFIDENTIAL_CLIENT_REDIRECT = 'https://127.0.0.1:8006'
/**
 * Confidential client that also allows loopback redirects (what Keycloak, Authelia or authentik allow for one
 * client): a realm with its client-key logs in from the CLI, a realm without one is refused at the token endpoint.
 */
export const CONFIDENTIAL_LOOPBACK_CLIENT_ID = 'pve-secret-cli'
export const CONFIDENTIAL_LOOPBACK_CLIENT_WEB_REDIRECT = 'https://pve.sandbox.test:8006'

const LOOPBACK_REDIRECTS = ['http://127.0.0.1/callback', 'http://localhost/callback']

export function publicClient(idTokenAlg = 'RS256'): ClientMetadata {
  return {
    client_id: PUBLIC_CLIENT_ID,
    client_name: 'pve-login (public native client)',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: LOOPBACK_REDIRECTS,
    id_token_signed_response_alg: idTokenAlg,
  }
}

export function sandboxClients(confidentialClientSecret: string): ClientMetadata[] {
  return [
    publicClient(),
    {
      client_id: CONFIDENTIAL_CLIENT_ID,
      client_name: 'PVE web UI (confidential web client)',
      client_secret: confidentialClientSecret,
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [CONFIDENTIAL_CLIENT_REDIRECT],
      id_token_signed_response_alg: 'RS256',
    },
    {
      client_id: CONFIDENTIAL_LOOPBACK_CLIENT_ID,
      client_name: 'PVE web UI and CLI (confidential client with loopback redirects)',
      client_secret: confidentialClientSecret,
      // Native: only then does oidc-provider match loopback redirect URIs on any port (RFC 8252 §7.3).
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // A native client may not claim an https URI on 127.0.0.1, so its web UI address is a name.
      redirect_uris: [CONFIDENTIAL_LOOPBACK_CLIENT_WEB_REDIRECT, ...LOOPBACK_REDIRECTS],
      id_token_signed_response_alg: 'RS256',
    },
  ]
}

/**
 * The sandbox runs several oidc-provider instances on one port, each under its own issuer path, the way real
 * IdPs put one issuer per tenant or application. Each one differs from the main one in one respect only.
 */
export interface IdpVariant {
  /** Issuer path below the IdP's origin, as the real IdP it imitates shapes it. '' is the origin itself. */
  path: string
  /**
   * Where the provider's endpoints live when that is not below the issuer (authentik: one `/application/o/authorize/`
   * for every application, the issuer per application). The discovery document is then served at the issuer only.
   */
  mount?: string
  /** How the main IdP's issuer differs; for docs and the sandbox's summary. */
  description: string
}

export const IDP_VARIANTS = {
  main: {path: '', description: 'the main IdP at the origin'},
  /** Keycloak's shape (`/realms/<realm>`): a healthy issuer at a sub-path. */
  keycloak: {path: '/realms/sandbox', description: 'a Keycloak-shaped issuer at /realms/sandbox'},
  /**
   * authentik's shape: issuer `/application/o/<slug>/` (trailing slash), endpoints shared by all applications under
   * `/application/o/` (authorize/, token/, userinfo/), keys at `/application/o/<slug>/jwks/`; and ES256-signed ID
   * tokens, authentik's trap when the provider's signing key is an EC certificate.
   */
  es256: {path: '/application/o/pve/', mount: '/application/o', description: 'an authentik-shaped issuer (endpoints outside the issuer path) that signs ID tokens with ES256 only'},
  /** An Entra-like tenant path, advertising `plain` as its only PKCE method (no S256). */
  plainPkce: {path: '/tenant-0000/v2.0', description: 'an issuer whose PKCE supports plain only, not S256'},
} as const satisfies Record<string, IdpVariant>

/** The authentik-shaped variant's endpoint paths below its mount. */
export const AUTHENTIK_ROUTES = {authorization: '/authorize/', token: '/token/', userinfo: '/userinfo/', jwks: '/pve/jwks/'} as const

export type IdpVariantName = keyof typeof IDP_VARIANTS

export function variantIssuer(origin: string, name: IdpVariantName): string {
  return `${origin}${IDP_VARIANTS[name].path}`
}
