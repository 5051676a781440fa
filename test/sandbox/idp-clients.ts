import type {ClientMetadata} from 'oidc-provider'

// The applications registered at the sandbox IdP. Kept apart from idp.ts so PVE-side modules can name the
// clients without loading oidc-provider.

/** Public native client: what a CLI registers (RFC 8252; any loopback port matches these redirect URIs). */
export const PUBLIC_CLIENT_ID = 'pve-cli'
/** Confidential web client: what the PVE web UI realm registers. */
export const CONFIDENTIAL_CLIENT_ID = 'pve-ui'
export const CONFIDENTIAL_CLIENT_REDIRECT = 'https://127.0.0.1:8006'

export function sandboxClients(confidentialClientSecret: string): ClientMetadata[] {
  return [
    {
      client_id: PUBLIC_CLIENT_ID,
      client_name: 'pve-login (public native client)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      id_token_signed_response_alg: 'RS256',
    },
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
  ]
}
