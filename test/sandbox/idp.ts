import {generateKeyPair, randomBytes, randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {promisify} from 'node:util'

import type {ClientMetadata, Configuration, Provider, ProviderContext, ProviderError} from 'oidc-provider'

import {findIdpAccount} from './idp-accounts.js'
import {AUTHENTIK_ROUTES, IDP_VARIANTS, publicClient, sandboxClients, variantIssuer, type IdpVariant, type IdpVariantName} from './idp-clients.js'
import {IdpEventLog} from './idp-event-log.js'
import {createQuietProvider} from './idp-quiet-start.js'
import {handleInteraction, isInteractionPath} from './idp-interactions.js'
import {renderErrorPage} from './idp-pages.js'
import {listenOnLoopback} from './listen-loopback.js'

export interface IdentityProviderOptions {
  /** 0 or undefined: a free random port. */
  port?: number
  /** Secret of the confidential clients; random when not given. */
  confidentialClientSecret?: string
  events?: IdpEventLog
}

export interface IdentityProvider {
  /** The main IdP's issuer: the origin. */
  issuer: string
  /** Every variant's issuer (see IDP_VARIANTS), the main one included. */
  issuers: Record<IdpVariantName, string>
  port: number
  confidentialClientSecret: string
  events: IdpEventLog
  close(): Promise<void>
}

/** oidc-provider emits these; we keep the OAuth error code and client id of each, nothing else. */
const RECORDED_EVENTS = [
  'grant.error',
  'grant.success',
  'authorization.error',
  'userinfo.error',
  'discovery.error',
  'jwks.error',
  'server_error',
] as const

type SigningAlg = 'RS256' | 'ES256'

async function signingKey(alg: SigningAlg): Promise<object> {
  const {privateKey} =
    alg === 'RS256'
      ? await promisify(generateKeyPair)('rsa', {modulusLength: 2048})
      : await promisify(generateKeyPair)('ec', {namedCurve: 'P-256'})
  return {...privateKey.export({format: 'jwk'}), kid: randomUUID(), alg, use: 'sig'}
}

/** How one provider instance is set up; everything not named here is the same for all of them. */
interface ProviderSetup {
  variant: IdpVariantName
  clients: ClientMetadata[]
  alg: SigningAlg
  signingKey: object
}

/** Where a variant's endpoints are mounted: its `mount`, else its issuer path; no trailing slash. */
function mountOf(variant: IdpVariant): string {
  return (variant.mount ?? variant.path).replace(/\/$/, '')
}

function configuration(setup: ProviderSetup): Configuration {
  const basePath = mountOf(IDP_VARIANTS[setup.variant])
  const cookieSuffix = setup.variant === 'main' ? '' : `_${setup.variant}`
  return {
    clients: setup.clients,
    clientDefaults: {id_token_signed_response_alg: setup.alg},
    // What discovery advertises as id_token_signing_alg_values_supported: the signing key's algorithm only, as
    // authentik does with its one certificate.
    enabledJWA: {idTokenSigningAlgValues: [setup.alg]},
    findAccount(_ctx, sub) {
      const account = findIdpAccount(sub)
      if (!account) return undefined
      return {
        accountId: account.sub,
        claims: () => ({
          sub: account.sub,
          email: account.email,
          email_verified: true,
          preferred_username: account.sub,
          name: account.name,
          groups: account.groups,
        }),
      }
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      // The groups ride on `profile`, so PVE's default scopes carry them (Keycloak adds them by a mapper).
      profile: ['preferred_username', 'name', 'groups'],
    },
    interactions: {url: (_ctx, interaction) => `${basePath}/interaction/${interaction.uid}`},
    // Every client is first-party, so consent is granted without asking (oidc-provider's documented pattern).
    async loadExistingGrant(ctx) {
      const oidc = ctx.oidc
      const clientId = oidc?.client?.clientId
      const accountId = oidc?.session?.accountId
      if (!oidc || !clientId || !accountId) return undefined
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId)
      if (grantId) return oidc.provider.Grant.find(grantId)
      const grant = new oidc.provider.Grant({accountId, clientId})
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
    renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = renderErrorPage(out)
    },
    ...(setup.variant === 'es256' ? {routes: {...AUTHENTIK_ROUTES}} : {}),
    clientBasedCORS: () => false,
    features: {devInteractions: {enabled: false}},
    pkce: {required: () => true},
    jwks: {keys: [setup.signingKey]},
    // Several providers share one host and port: distinct cookie names keep their browser sessions apart.
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      names: {session: `_session${cookieSuffix}`, interaction: `_interaction${cookieSuffix}`, resume: `_interaction_resume${cookieSuffix}`},
    },
    // Explicit lifetimes: oidc-provider prints a notice on stdout for every default it has to use.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      BackchannelAuthenticationRequest: 600,
      ClientCredentials: 600,
      DeviceCode: 600,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      PreAuthorizedCode: 600,
      RefreshToken: 86400,
      Session: 3600,
    },
  }
}

function recordEvents(provider: Provider, events: IdpEventLog): void {
  for (const name of RECORDED_EVENTS) {
    provider.on(name, (ctx: ProviderContext, error?: ProviderError) => {
      const clientId = ctx.oidc?.client?.clientId ?? ctx.oidc?.params?.client_id
      events.record({
        event: name,
        ...(error?.error === undefined ? {} : {error: error.error}),
        ...(error?.error_description === undefined ? {} : {error_description: error.error_description}),
        ...(error?.error_detail === undefined ? {} : {error_detail: error.error_detail}),
        ...(typeof clientId === 'string' ? {client_id: clientId} : {}),
      })
    })
  }
}

/**
 * oidc-provider 9 implements PKCE with S256 only and has no setting to advertise anything else (v6's
 * `pkce.supportedMethods` is gone). An IdP without S256 is imitated through the provider's documented
 * post-middleware hook: its discovery document then names `plain` as the only method, as such an IdP's would.
 * The provider itself still checks S256 challenges, so a login through it works; only what it advertises differs.
 */
function advertisePlainPkceOnly(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      ;(ctx.body as Record<string, unknown>).code_challenge_methods_supported = ['plain']
    }
  })
}

interface MountedProvider {
  /** Path prefix without a trailing slash; '' for the origin. */
  prefix: string
  /** Set when the issuer is not the mount: the one path the discovery document is served at. */
  discoveryPath?: string
  provider: Provider
  callback: (request: IncomingMessage, response: ServerResponse) => void
}

/**
 * Strips the provider's path prefix the way Express's `app.use(prefix, …)` does (oidc-provider's documented way of
 * mounting): `url` becomes relative to the mount, `originalUrl` keeps the full path, from which the provider
 * builds its endpoint URLs under the issuer.
 */
function mountedRequest(request: IncomingMessage, prefix: string, innerUrl?: string): IncomingMessage {
  if (prefix === '') return request
  const mounted = request as IncomingMessage & {originalUrl?: string}
  mounted.url = innerUrl ?? ((request.url ?? '/').slice(prefix.length) || '/')
  if (!mounted.url.startsWith('/')) mounted.url = `/${mounted.url}`
  mounted.originalUrl = `${prefix}${mounted.url}`
  return mounted
}

const DISCOVERY = '/.well-known/openid-configuration'

/** Starts real OpenID providers on plain HTTP at 127.0.0.1 (one port, one issuer path each). */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const events = options.events ?? new IdpEventLog()
  const confidentialClientSecret = options.confidentialClientSecret ?? randomBytes(24).toString('base64url')
  const [rsaKey, ecKey] = await Promise.all([signingKey('RS256'), signingKey('ES256')])

  // The issuer contains the port, so the providers can only be built once the socket is bound.
  let dispatch: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.writeHead(503).end()
  }
  const server = createServer((request, response) => dispatch(request, response))
  const port = await listenOnLoopback(server, options.port ?? 0)
  const origin = `http://127.0.0.1:${port}`

  const setups: ProviderSetup[] = [
    {variant: 'main', clients: sandboxClients(confidentialClientSecret), alg: 'RS256', signingKey: rsaKey},
    {variant: 'keycloak', clients: [publicClient()], alg: 'RS256', signingKey: rsaKey},
    {variant: 'es256', clients: [publicClient('ES256')], alg: 'ES256', signingKey: ecKey},
    {variant: 'plainPkce', clients: [publicClient()], alg: 'RS256', signingKey: rsaKey},
  ]
  // One after the other: createQuietProvider holds console.warn while a provider is built.
  const mounted: MountedProvider[] = []
  for (const setup of setups) {
    const provider = await createQuietProvider(variantIssuer(origin, setup.variant), configuration(setup))
    recordEvents(provider, events)
    if (setup.variant === 'plainPkce') advertisePlainPkceOnly(provider)
    const variant: IdpVariant = IDP_VARIANTS[setup.variant]
    const prefix = mountOf(variant)
    const discoveryPath = variant.mount ? `${variant.path.replace(/\/$/, '')}${DISCOVERY}` : undefined
    mounted.push({prefix, ...(discoveryPath ? {discoveryPath} : {}), provider, callback: provider.callback()})
  }
  // Longest prefix first; the origin's provider takes what no other claims.
  mounted.sort((a, b) => b.prefix.length - a.prefix.length)

  dispatch = (request, response) => {
    const pathname = new URL(request.url ?? '/', origin).pathname
    const target = mounted.find(({prefix}) => prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`))!
    let innerUrl: string | undefined
    if (target.discoveryPath) {
      // Discovery at the issuer only, as authentik serves it per application; nowhere else below the mount.
      if (pathname === target.discoveryPath) innerUrl = DISCOVERY
      else if (pathname.slice(target.prefix.length).startsWith('/.well-known/')) {
        response.writeHead(404, {'content-type': 'text/plain'}).end('not found')
        return
      }
    }
    const inner = mountedRequest(request, target.prefix, innerUrl)
    const innerPath = new URL(inner.url ?? '/', origin).pathname
    if (isInteractionPath(innerPath)) void handleInteraction(target.provider, events, inner, response, target.prefix)
    else target.callback(inner, response)
  }

  const issuers = Object.fromEntries(setups.map((setup) => [setup.variant, variantIssuer(origin, setup.variant)])) as Record<IdpVariantName, string>
  return {
    issuer: issuers.main,
    issuers,
    port,
    confidentialClientSecret,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
