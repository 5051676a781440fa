import type {PveClient, PveRealm} from '../pve/pve-client.js'
import type {Settings} from '../session/settings.js'
import type {SessionRecord} from '../session/session-record.js'
import type {StoreListing, TicketStore} from '../store/ticket-store.js'
import type {IdpKind, RealmSettings} from './doctor-check.js'
import type {IdpHttp} from './idp-http.js'

/** What the checks learn and hand on to the ones after them. Filled in as the checks run. */
export interface DoctorContext {
  settings: Settings
  /** The realm asked about; set by the realm check when none was given but one could be chosen. */
  realm: string | undefined
  env: NodeJS.ProcessEnv
  signal: AbortSignal | undefined
  /** Limit per network request, in ms. */
  timeoutMs: number
  ports: number[] | undefined
  redirectHost: '127.0.0.1' | 'localhost'
  browserCommand: string | undefined
  now: () => Date
  client: PveClient
  idp: IdpHttp
  store: TicketStore
  /** The store's answer, or why it could not answer (read once, for the version check and the store check). */
  listing?: Promise<{listing?: StoreListing; fallback?: string; error?: Error}>
  realms?: PveRealm[]
  /** A cached, still usable session on this server (the realm's own first): doctor only reads with it. */
  session?: SessionRecord
  pveVersion?: string
  realmSettings?: RealmSettings
  redirectUrl?: string
  authorizationUrl?: string
  clientId?: string
  idpKind: IdpKind
  discovery?: {issuer: string; metadata: Record<string, unknown>}
}
