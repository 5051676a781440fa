import {generateKeyPair, randomBytes, randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {promisify} from 'node:util'

import Provider, {type Configuration, type ProviderContext, type ProviderError} from 'oidc-provider'

import {findIdpAccount} from './idp-accounts.js'
import {sandboxClients} from './idp-clients.js'
import {IdpEventLog} from './idp-event-log.js'
import {handleInteraction, isInteractionPath} from './idp-interactions.js'
import {renderErrorPage} from './idp-pages.js'
import {listenOnLoopback} from './listen-loopback.js'

export interface IdentityProviderOptions {
  /** 0 or undefined: a free random port. */
  port?: number
  /** Secret of the confidential client; random when not given. */
  confidentialClientSecret?: string
  events?: IdpEventLog
}

export interface IdentityProvider {
  issuer: string
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

async function rs256SigningKey(): Promise<object> {
  const {privateKey} = await promisify(generateKeyPair)('rsa', {modulusLength: 2048})
  return {...privateKey.export({format: 'jwk'}), kid: randomUUID(), alg: 'RS256', use: 'sig'}
}

function configuration(confidentialClientSecret: string, signingKey: object): Configuration {
  return {
    clients: sandboxClients(confidentialClientSecret),
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
        }),
      }
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    interactions: {url: (_ctx, interaction) => `/interaction/${interaction.uid}`},
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
    clientBasedCORS: () => false,
    features: {devInteractions: {enabled: false}},
    pkce: {required: () => true},
    jwks: {keys: [signingKey]},
    cookies: {keys: [randomBytes(32).toString('base64url')]},
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


/** Starts a real OpenID provider on plain HTTP at 127.0.0.1 with the sandbox users and clients. */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const events = options.events ?? new IdpEventLog()
  const confidentialClientSecret = options.confidentialClientSecret ?? randomBytes(24).toString('base64url')
  const signingKey = await rs256SigningKey()

  // The issuer contains the port, so the provider can only be built once the socket is bound.
  let dispatch: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => {
    response.writeHead(503).end()
  }
  const server = createServer((request, response) => dispatch(request, response))
  const port = await listenOnLoopback(server, options.port ?? 0)
  const issuer = `http://127.0.0.1:${port}`

  const provider = new Provider(issuer, configuration(confidentialClientSecret, signingKey))
  recordEvents(provider, events)
  const providerCallback = provider.callback()
  dispatch = (request, response) => {
    const pathname = new URL(request.url ?? '/', issuer).pathname
    if (isInteractionPath(pathname)) void handleInteraction(provider, events, request, response)
    else providerCallback(request, response)
  }

  return {
    issuer,
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
