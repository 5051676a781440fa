/**
 * The part of oidc-provider v9's API the sandbox uses. The package ships no types and @types/oidc-provider is
 * not a dependency; declaring the few members we touch keeps the sandbox type-checked without a new package.
 */
declare module 'oidc-provider' {
  import type {EventEmitter} from 'node:events'
  import type {IncomingMessage, ServerResponse} from 'node:http'

  export interface ClientMetadata {
    client_id: string
    client_secret?: string
    client_name?: string
    application_type?: 'web' | 'native'
    token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post'
    grant_types?: string[]
    response_types?: string[]
    redirect_uris: string[]
    id_token_signed_response_alg?: string
  }

  export interface AccountClaims {
    sub: string
    [claim: string]: unknown
  }

  export interface Account {
    accountId: string
    claims(use: string, scope: string): AccountClaims | Promise<AccountClaims>
  }

  export interface Grant {
    addOIDCScope(scope: string): void
    save(): Promise<string>
  }

  export interface GrantConstructor {
    new (properties: {accountId: string; clientId: string}): Grant
    find(id: string): Promise<Grant | undefined>
  }

  export interface OidcContext {
    client?: {clientId: string}
    session?: {accountId?: string; grantIdFor(clientId: string): string | undefined}
    result?: {consent?: {grantId?: string}}
    params?: Record<string, unknown>
    provider: Provider
  }

  /** The koa context oidc-provider hands to hooks and event listeners. */
  export interface ProviderContext {
    method: string
    path: string
    type: string
    body: unknown
    oidc?: OidcContext
  }

  export interface ProviderError extends Error {
    error?: string
    error_description?: string
    error_detail?: string
    statusCode?: number
  }

  export interface Interaction {
    uid: string
    prompt: {name: string; reasons: string[]; details: Record<string, unknown>}
    params: Record<string, unknown>
    session?: {accountId?: string}
  }

  export type InteractionResult =
    | {login: {accountId: string}}
    | {consent: {grantId: string}}
    | {error: string; error_description?: string}

  export interface Configuration {
    clients: ClientMetadata[]
    clientDefaults?: Partial<ClientMetadata>
    routes?: Record<string, string>
    enabledJWA?: {idTokenSigningAlgValues?: string[]}
    findAccount(ctx: ProviderContext, sub: string): Promise<Account | undefined> | Account | undefined
    claims: Record<string, string[]>
    interactions: {url(ctx: ProviderContext, interaction: Interaction): string | Promise<string>}
    loadExistingGrant(ctx: ProviderContext): Promise<Grant | undefined>
    renderError(ctx: ProviderContext, out: Record<string, string>, error: Error): Promise<void> | void
    clientBasedCORS(ctx: ProviderContext, origin: string, client: unknown): boolean
    features: Record<string, {enabled: boolean}>
    pkce: {required(ctx: ProviderContext, client: unknown): boolean}
    jwks: {keys: object[]}
    cookies: {keys: string[]; names?: {session?: string; interaction?: string; resume?: string}}
    ttl: Record<string, number>
  }

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration: Configuration)
    readonly issuer: string
    readonly Grant: GrantConstructor
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    /** koa middleware around oidc-provider's own (its documented pre/post-middleware hook). */
    use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): void
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: {mergeWithLastSubmission?: boolean},
    ): Promise<void>
  }

  export default Provider
}
