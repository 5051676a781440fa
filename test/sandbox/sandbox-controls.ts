import type {IdpEventLog} from './idp-event-log.js'
import type {ApiTokenDirectory, StoredApiToken} from './pve-api-tokens.js'
import type {PveUser, PveUserDirectory} from './pve-users.js'
import type {RealmDirectory} from './pve-realms.js'
import {API_PREFIX} from './pve-api.js'
import {RequestLog, type FaultKind} from './request-log.js'
import type {SandboxClock} from './sandbox-clock.js'
import type {SandboxSyslog} from './sandbox-syslog.js'

/**
 * The knobs tests turn: sandbox clock, added latency, injected faults, old-PVE error bodies, enabled flags of
 * users, and the logs they read back. The HTTP face of this lives in sandbox-control-api.ts.
 */
export const FAULT_KINDS: readonly FaultKind[] = ['500', '502', 'reset', 'hang', 'huge', 'huge-message']

export interface FaultRule {
  path: string
  kind: FaultKind
  /** Requests still to be hit. */
  remaining: number
  /** For `500`: PVE's message in the answer (default: a plain internal-server-error text). */
  message?: string
}

export interface ControlState {
  clockOffsetSeconds: number
  /** Seconds the HTTP `Date` header is shifted on top of the sandbox clock (a proxy with its own clock). */
  dateHeaderOffsetSeconds: number
  /** The `clustername` login answers carry (to users with Sys.Audit on `/`); null: none (a standalone node). */
  clusterName: string | null
  latencyMs: number
  oldPve: boolean
  /** What `/version` reports; the major release decides the ID-token algorithms PVE accepts. */
  pveVersion: string
  /** The realms that exist (null: all of them) and the one marked default (null: pam). */
  realms: {visible: string[] | null; default: string | null}
  apiTokens: boolean
  faults: FaultRule[]
}

/** PVE 9.1.1, as pve-access-control's HEAD the sandbox follows. */
export const DEFAULT_PVE_VERSION = '9.1.1'

/** Faults are keyed by full API path; `/access/ticket` is shorthand for `/api2/json/access/ticket`. */
export function normaliseFaultPath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`
  return withSlash.startsWith('/api2/') ? withSlash : `${API_PREFIX}${withSlash}`
}

export interface SandboxControlsDependencies {
  clock: SandboxClock
  users: PveUserDirectory
  apiTokens: ApiTokenDirectory
  idpEvents: IdpEventLog
  syslog: SandboxSyslog
  realms: RealmDirectory
}

export class SandboxControls {
  readonly requestLog = new RequestLog()
  private latencyMs = 0
  private oldPve = false
  private pveVersion = DEFAULT_PVE_VERSION
  private visibleRealms: string[] | null = null
  private defaultRealm: string | null = null
  private apiTokens = true
  private dateHeaderOffsetSeconds = 0
  private clusterNameOverride: {value: string | null} | undefined
  private readonly faults = new Map<string, FaultRule>()

  constructor(
    private readonly deps: SandboxControlsDependencies,
    private readonly defaultClusterName: string | null = 'sandbox',
  ) {}

  /** What the HTTP `Date` header says now: the sandbox clock plus its own offset, as PVE's own clock would. */
  dateHeader(): string {
    return this.dateHeaderTime().toUTCString()
  }

  dateHeaderTime(): Date {
    return new Date(Date.now() + (this.deps.clock.getOffsetSeconds() + this.dateHeaderOffsetSeconds) * 1000)
  }

  setDateHeaderOffsetSeconds(seconds: number): void {
    this.dateHeaderOffsetSeconds = seconds
  }

  clusterName(): string | null {
    return this.clusterNameOverride ? this.clusterNameOverride.value : this.defaultClusterName
  }

  /** A hostile or odd server: any text (terminal escapes included) as the cluster name; null for none. */
  setClusterName(name: string | null): void {
    this.clusterNameOverride = {value: name}
  }

  get clock(): SandboxClock {
    return this.deps.clock
  }

  get idpEvents(): IdpEventLog {
    return this.deps.idpEvents
  }

  get syslog(): SandboxSyslog {
    return this.deps.syslog
  }

  getLatencyMs(): number {
    return this.latencyMs
  }

  setLatencyMs(latencyMs: number): void {
    this.latencyMs = latencyMs
  }

  /** False: a PVE before 6.2, which has no API tokens (their routes answer 501, the token header is ignored). */
  hasApiTokens(): boolean {
    return this.apiTokens
  }

  setApiTokens(enabled: boolean): void {
    this.apiTokens = enabled
  }

  isOldPve(): boolean {
    return this.oldPve
  }

  setOldPve(oldPve: boolean): void {
    this.oldPve = oldPve
  }

  getPveVersion(): string {
    return this.pveVersion
  }

  /** A pve-manager version such as `8.4.1`: `/version` reports it, and 7.x/8.x accept RS256 ID tokens only. */
  setPveVersion(version: string): void {
    if (!/^\d+\.\d+(?:[.-]\d+)*$/.test(version)) throw new Error(`'${version}' is not a PVE version such as 8.4.1`)
    this.pveVersion = version
  }

  pveMajor(): number {
    return Number(this.pveVersion.split('.')[0])
  }

  /** Only these realms exist (null: all); `defaultRealm` is marked default instead of pam. */
  setRealms(visible: string[] | null, defaultRealm: string | null): void {
    this.deps.realms.restrict(visible ?? undefined, defaultRealm ?? undefined)
    this.visibleRealms = visible
    this.defaultRealm = defaultRealm
  }

  /** The next `count` requests to `path` (any method) fail with `kind`; count 0 removes the rule. */
  setFault(path: string, kind: FaultKind, count: number, message?: string): void {
    const key = normaliseFaultPath(path)
    if (count <= 0) this.faults.delete(key)
    else this.faults.set(key, {path: key, kind, remaining: count, ...(message === undefined ? {} : {message})})
  }

  clearFaults(): void {
    this.faults.clear()
  }

  /** Uses up one hit of the fault for this request path, if any. */
  takeFault(pathname: string): {kind: FaultKind; message?: string} | undefined {
    const rule = this.faults.get(pathname)
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) this.faults.delete(pathname)
    return {kind: rule.kind, ...(rule.message === undefined ? {} : {message: rule.message})}
  }

  setUserEnabled(userid: string, enable: boolean): boolean {
    return this.deps.users.setEnabled(userid, enable)
  }

  listUsers(): PveUser[] {
    return this.deps.users.list()
  }

  /** Every API token of every user (never their secrets), as user.cfg would list them. */
  listApiTokens(): StoredApiToken[] {
    return this.deps.apiTokens.all()
  }

  state(): ControlState {
    return {
      clockOffsetSeconds: this.deps.clock.getOffsetSeconds(),
      dateHeaderOffsetSeconds: this.dateHeaderOffsetSeconds,
      clusterName: this.clusterName(),
      latencyMs: this.latencyMs,
      oldPve: this.oldPve,
      pveVersion: this.pveVersion,
      realms: {visible: this.visibleRealms, default: this.defaultRealm},
      apiTokens: this.apiTokens,
      faults: [...this.faults.values()].map((rule) => ({...rule})),
    }
  }

  resetLogs(): void {
    this.requestLog.clear()
    this.deps.idpEvents.clear()
    this.deps.syslog.clear()
  }

  /** Back to a fresh sandbox's knobs and empty logs (users, VMs and pending states stay). */
  reset(): void {
    this.deps.clock.setOffsetSeconds(0)
    this.dateHeaderOffsetSeconds = 0
    this.clusterNameOverride = undefined
    this.latencyMs = 0
    this.oldPve = false
    this.pveVersion = DEFAULT_PVE_VERSION
    this.setRealms(null, null)
    this.apiTokens = true
    this.faults.clear()
    this.resetLogs()
  }
}
