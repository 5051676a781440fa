/**
 * What `doctor` reports: one result per check, in a fixed order. The library words the detail in its own terms and
 * hands the fix over as data (what to change, with the values it found); the CLI turns that into commands and flags.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

/** The checks, in the order they run. */
export const CHECK_ORDER = [
  'server',
  'clock',
  'pve-version',
  'realm',
  'auth-url',
  'discovery',
  'pkce',
  'id-token-signing',
  'authorization',
  'client-type',
  'loopback',
  'store',
  'browser',
] as const

export type CheckId = (typeof CHECK_ORDER)[number]

/** Which IdP product answered, as far as its URLs and discovery document tell (for product-specific advice). */
export type IdpKind = 'entra' | 'keycloak' | 'authelia' | 'authentik' | 'okta' | 'google' | 'zitadel' | 'kanidm' | 'pocket-id' | 'dex' | 'oidc-provider' | 'generic'

/** What the realm's own settings say, when a cached ticket may read them (GET /access/domains/{realm}). */
export interface RealmSettings {
  issuerUrl?: string
  clientId?: string
  /** Whether a client-key is set; the key itself is never read into a report. */
  hasClientKey: boolean
  usernameClaim?: string
  groupsClaim?: string
  autocreate?: boolean
}

/** The values a fix needs to name the exact commands: the realm, its IdP client, and what is known about it. */
export interface RealmFacts {
  realm: string
  issuer?: string
  clientId?: string
  usernameClaim?: string
  idp: IdpKind
}

export type DoctorFix =
  /** The certificate is not trusted: pin the fingerprint shown, or trust the cluster CA. */
  | {kind: 'trust-certificate'; server: string; fingerprint?: string; changed: boolean}
  | {kind: 'reach-server'; server: string}
  | {kind: 'sync-clock'; skewSeconds: number}
  /** Something needs a ticket this machine does not have: log in once through the realm, then check again. */
  | {kind: 'log-in-first'; server: string; realm?: string}
  | {kind: 'choose-realm'; server: string; openidRealms: string[]}
  | {kind: 'add-openid-realm'; server: string}
  /** PVE's auth-url failed: its message, usually discovery or JWKS at the IdP seen from the node. */
  | {kind: 'pve-cannot-reach-idp'; realm: string; pveMessage: string}
  | {kind: 'auth-url-unusable'; problem: string}
  /** `realmSettingsRead`: whether the realm's own issuer-url was known (and tried first). */
  | {kind: 'issuer-not-found'; tried: string[]; realmSettingsRead: boolean}
  | {kind: 'enable-code-flow'; idp: IdpKind}
  | {kind: 'enable-s256'; idp: IdpKind}
  | {kind: 'sign-with-rs256'; idp: IdpKind; advertised: string[]; pveVersion?: string}
  | {kind: 'register-redirect-uri'; facts: RealmFacts; redirectUri: string; idpMessage?: string}
  | {kind: 'fix-client-id'; facts: RealmFacts; idpMessage?: string}
  /** The IdP treats the client as public; the realm has (or may have) a client-key it must not send. */
  | {kind: 'delete-client-key'; facts: RealmFacts; certain: boolean}
  /** The IdP wants a secret; the realm has none (or it is unknown whether it has one). */
  | {kind: 'client-needs-secret'; facts: RealmFacts; certain: boolean}
  | {kind: 'free-port'; ports: number[]}
  | {kind: 'store-fallback'; location: string}
  | {kind: 'paste-route'}

export interface CheckResult {
  check: CheckId
  status: CheckStatus
  /** One or two sentences on what was found, free of secrets. */
  detail: string
  fix?: DoctorFix
}

export interface DoctorReport {
  server: string | undefined
  realm: string | undefined
  results: CheckResult[]
  /** True when any check failed. */
  failed: boolean
}
