import {randomBytes} from 'node:crypto'

import type {SandboxClock} from './sandbox-clock.js'

/**
 * proxmox-openid's auth state (auth_state.rs): per realm, a list of pending logins `{csrf_token, nonce,
 * pkce_verifier, ctime}`. An entry expires after 10 minutes on the sandbox clock and is removed when used, so
 * a state works once. The public half, sent through the IdP as OAuth `state`, is compact JSON naming the realm.
 */
export const AUTH_STATE_LIFETIME_SECONDS = 600
/** store_auth_state refuses a new entry when more than this many unexpired ones remain. */
export const MAX_PENDING_AUTH_STATES = 100

export interface PrivateAuthState {
  csrfToken: string
  nonce: string
  pkceVerifier: string
  ctime: number
}

/** oauth2's CsrfToken/Nonce (16 random bytes) and PkceCodeVerifier (32 random bytes), base64url unpadded. */
const randomToken = (bytes: number): string => randomBytes(bytes).toString('base64url')

export class OpenIdAuthStateStore {
  /** Like the per-realm state files: absent until the realm's first auth-url call. */
  private readonly pendingByRealm = new Map<string, PrivateAuthState[]>()

  constructor(private readonly clock: SandboxClock) {}

  private unexpired(realm: string): PrivateAuthState[] | undefined {
    const entries = this.pendingByRealm.get(realm)
    if (!entries) return undefined
    const now = this.clock.nowSeconds()
    const fresh = entries.filter((entry) => entry.ctime + AUTH_STATE_LIFETIME_SECONDS >= now)
    this.pendingByRealm.set(realm, fresh)
    return fresh
  }

  /** A new pending login; returns the public state string and the private half. */
  create(realm: string): {publicState: string; state: PrivateAuthState} {
    const entries = this.unexpired(realm) ?? []
    if (entries.length > MAX_PENDING_AUTH_STATES) {
      throw new Error(`too many pending openid auth request for realm ${realm}\n`)
    }
    const state: PrivateAuthState = {
      csrfToken: randomToken(16),
      nonce: randomToken(16),
      pkceVerifier: randomToken(32),
      ctime: this.clock.nowSeconds(),
    }
    entries.push(state)
    this.pendingByRealm.set(realm, entries)
    // serde_json::to_string of PublicAuthState: compact, csrf_token first.
    return {publicState: JSON.stringify({csrf_token: state.csrfToken, realm}), state}
  }

  /** verify_public_auth_state: finds and removes the entry; throws (syslog-only texts) when there is none. */
  consume(publicState: string): {realm: string; state: PrivateAuthState} {
    let parsed: unknown
    try {
      parsed = JSON.parse(publicState)
    } catch (error) {
      throw new Error(`unable to parse public auth state: ${(error as Error).message}`)
    }
    const {csrf_token: csrfToken, realm} = (parsed ?? {}) as {csrf_token?: unknown; realm?: unknown}
    if (typeof csrfToken !== 'string') throw new Error('invalid public auth state: missing field `csrf_token`')
    if (typeof realm !== 'string') throw new Error('invalid public auth state: missing field `realm`')
    const entries = this.unexpired(realm)
    if (!entries) throw new Error(`unable to open auth state file for realm '${realm}' - No such file or directory`)
    const index = entries.findIndex((entry) => entry.csrfToken === csrfToken)
    if (index < 0) throw new Error('no openid auth state found (possible timeout)')
    const [state] = entries.splice(index, 1)
    return {realm, state: state!}
  }

  pendingCount(realm: string): number {
    return this.unexpired(realm)?.length ?? 0
  }
}
