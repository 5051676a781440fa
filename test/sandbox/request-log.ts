/**
 * Which API requests reached the sandbox PVE and how they ended. Only method, path (no query string: it can
 * carry states and codes), status and timing are kept; never headers or bodies, so no ticket, CSRF token,
 * code, state or password can end up here.
 */
/**
 * `huge`: a 200 answer whose body never ends (1 GiB of JSON, streamed while the client reads); `huge-message`: a
 * 500 whose PVE message is 900 KiB long. Both are what a broken or hostile server can send.
 */
export type FaultKind = '500' | '502' | 'reset' | 'hang' | 'huge' | 'huge-message'

export interface RequestLogEntry {
  method: string
  path: string
  /** null when no HTTP answer was sent (reset or hang fault, or the client went away). */
  status: number | null
  fault?: FaultKind
  /** Whether a CSRFPreventionToken header came along (its presence only, never its value). */
  csrfHeader?: boolean
  /** When the request arrived (ISO 8601, real time). */
  time: string
  durationMs: number
}

export class RequestLog {
  private readonly entries: RequestLogEntry[] = []

  record(entry: RequestLogEntry): void {
    this.entries.push(entry)
  }

  list(): RequestLogEntry[] {
    return this.entries.map((entry) => ({...entry}))
  }

  clear(): void {
    this.entries.length = 0
  }
}
