import * as oidc from 'openid-client'

/**
 * What proxmox-openid does against the IdP, done with openid-client: discovery (on every call, as PVE does),
 * the authorization-code exchange with PKCE, ID-token validation (signature, iss, aud, exp, nonce) and the
 * userinfo merge. Errors are thrown with PVE-like texts; the caller decides whether the client sees them.
 */
export interface OpenIdClientSettings {
  issuerUrl: string
  clientId: string
  /** Set: client_secret_basic. Unset: public client, `client_id` in the body and no secret. */
  clientKey?: string
}

/**
 * proxmox-openid used openidconnect 2.x up to PVE 8, whose ID-token verifier allows RS256 only; PVE 9
 * (openidconnect 4) allows what discovery lists in id_token_signing_alg_values_supported, which is what
 * openid-client does when the client names no algorithm.
 */
export function onlyRs256IdTokens(pveMajor: number): boolean {
  return pveMajor < 9
}
export interface CodeExchange {
  code: string
  /** The `redirect-url` given to PVE's login call, sent verbatim as `redirect_uri`. */
  redirectUrl: string
  /** The public state string; openid-client wants to see it in the callback it validates. */
  publicState: string
  pkceVerifier: string
  nonce: string
  queryUserinfo: boolean
}

const REQUEST_TIMEOUT_SECONDS = 10

function describe(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) {
    return `Server returned error response: ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate (oidc-provider's invalid_client): the OAuth error sits in the challenge.
    const parameters = error.cause[0]?.parameters ?? {}
    return `Server returned error response: ${parameters.error ?? `HTTP ${error.status}`}${parameters.error_description ? `: ${parameters.error_description}` : ''}`
  }
  if (error instanceof Error && error.cause instanceof Response) {
    const {status, statusText, url} = error.cause
    return `Server returned invalid response: HTTP status code ${status} ${statusText} at ${url}`
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}

/** Discovery + JWKS location, with PVE's exact-string issuer check on top of openid-client's URL check. */
export async function discoverIssuer(settings: OpenIdClientSettings, pveMajor = 9): Promise<oidc.Configuration> {
  let config: oidc.Configuration
  const clientAuth = settings.clientKey === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientKey)
  try {
    config = await oidc.discovery(
      new URL(settings.issuerUrl),
      settings.clientId,
      undefined,
      clientAuth,
      {
        timeout: REQUEST_TIMEOUT_SECONDS,
        // The sandbox IdP speaks plain HTTP on loopback; openid-client refuses that unless told.
        execute: settings.issuerUrl.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      },
    )
  } catch (error) {
    const text = describe(error)
    throw new Error(text.startsWith('Server returned') ? text : `Request failed: ${text}`)
  }
  const issuer = config.serverMetadata().issuer
  if (issuer !== settings.issuerUrl) {
    throw new Error(`Validation error: unexpected issuer URI \`${issuer}\` (expected \`${settings.issuerUrl}\`)`)
  }
  if (!onlyRs256IdTokens(pveMajor)) return config
  const withAlg = new oidc.Configuration(config.serverMetadata(), settings.clientId, {id_token_signed_response_alg: 'RS256'}, clientAuth)
  if (settings.issuerUrl.startsWith('http:')) oidc.allowInsecureRequests(withAlg)
  return withAlg
}

/**
 * openid-client derives redirect_uri by re-serialising a URL (`https://pve:8006` → `https://pve:8006/`); PVE
 * sends the string it was given, and the IdP compares strings. Put the verbatim value back into the token request.
 */
function sendRedirectUriVerbatim(config: oidc.Configuration, redirectUrl: string): void {
  config[oidc.customFetch] = (url, options) => {
    if (options.body instanceof URLSearchParams && options.body.has('redirect_uri')) {
      options.body.set('redirect_uri', redirectUrl)
    }
    return fetch(url, options)
  }
}

/** Exchanges the code and returns the merged claims (ID token first, userinfo only fills gaps). */
export async function exchangeCode(config: oidc.Configuration, exchange: CodeExchange): Promise<Record<string, unknown>> {
  config.timeout = REQUEST_TIMEOUT_SECONDS
  sendRedirectUriVerbatim(config, exchange.redirectUrl)
  // openid-client validates a callback URL rather than bare parameters. PVE's login call carries only code and
  // state, so rebuild the callback; `iss` is added because the sandbox IdP advertises RFC 9207 and PVE does
  // not check it.
  const callback = new URL(exchange.redirectUrl)
  callback.search = new URLSearchParams({code: exchange.code, state: exchange.publicState, iss: config.serverMetadata().issuer}).toString()
  callback.hash = ''

  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
  try {
    tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: exchange.pkceVerifier,
      expectedNonce: exchange.nonce,
      expectedState: exchange.publicState,
      idTokenExpected: true,
    })
  } catch (error) {
    const fromTokenEndpoint =
      error instanceof oidc.ResponseBodyError ||
      error instanceof oidc.WWWAuthenticateChallengeError ||
      (error instanceof TypeError && error.message === 'fetch failed')
    const stage = fromTokenEndpoint
      ? 'Failed to contact token endpoint'
      : 'Failed to verify ID token'
    throw new Error(`${stage}: ${describe(error)}`)
  }

  const claims: Record<string, unknown> = {...(tokens.claims() ?? {})}
  if (!exchange.queryUserinfo) return claims
  let userinfo: oidc.UserInfoResponse
  try {
    userinfo = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)
  } catch (error) {
    throw new Error(`Failed to contact userinfo endpoint: ${describe(error)}`)
  }
  for (const [key, value] of Object.entries(userinfo)) {
    if (claims[key] === undefined || claims[key] === null) claims[key] = value
  }
  return claims
}
