/**
 * What happened at the identity provider, for tests to assert on (PVE hides the IdP's answer behind
 * "authentication failure"). Entries carry OAuth error codes and client ids only, never codes or tokens.
 */
export interface IdpEvent {
  /** oidc-provider's event name, e.g. `grant.error`, `grant.success`, `authorization.error`, `server_error`. */
  event: string
  error?: string
  error_description?: string
  /** oidc-provider's internal detail, e.g. which client-authentication rule failed. */
  error_detail?: string
  client_id?: string
  time: string
}

export class IdpEventLog {
  private readonly events: IdpEvent[] = []

  record(event: Omit<IdpEvent, 'time'>): void {
    this.events.push({...event, time: new Date().toISOString()})
  }

  list(): IdpEvent[] {
    return this.events.map((event) => ({...event}))
  }

  clear(): void {
    this.events.length = 0
  }
}
