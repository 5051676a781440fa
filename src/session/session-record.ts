/**
 * What pve-login keeps about one signed-in session. This is the JSON stored as the secret of a keychain item
 * (service `pve-login`, account `<userid>@<host:port>`) or in the file store; docs/storage.md describes it for
 * other tools. Keep it flat and versionless-compatible: add optional fields, never rename.
 */
export interface SessionRecord {
  /** Server origin, e.g. `https://pve.example.com:8006`. */
  server: string
  realm: string
  /** PVE user id, e.g. `alice@entra-cli`. */
  username: string
  ticket: string
  csrfToken: string
  clusterName?: string
  /** ISO 8601, read from the ticket's hex timestamp. */
  issuedAt: string
  /** ISO 8601 time of the last interactive (browser) login that started this chain of renewals. */
  loginAt?: string
  /**
   * The server's clock minus this machine's, in seconds, measured at the last login or renewal (the ticket's
   * timestamp against the local time it arrived). Every expiry is computed in server time with it. Absent: 0.
   */
  clockOffsetSeconds?: number
  /** SHA-256 fingerprint (`AA:BB:…`) the server's certificate was pinned to when this session was made. */
  tlsPin?: string
  /**
   * A short-lived PVE API token minted from this session for `env --api-token` and reused while it lasts; `logout`
   * deletes it at PVE. Absent when none was asked for.
   */
  apiToken?: StoredApiToken
}

/** An API token kept with its session, secret included (the store is as private as it is for the ticket). */
export interface StoredApiToken {
  /** `USER@REALM!TOKENID`. */
  fullTokenId: string
  /** The TOKENID part, e.g. `pve-login-3f9a1c2e`. */
  tokenId: string
  /** The token's value (a UUID), shown by PVE only once. */
  secret: string
  /** ISO 8601; PVE refuses the token after this (`expire`). */
  expiresAt: string
  /** Whether the token has only the ACLs granted to it (true) or its user's rights (false). */
  privsep: boolean
}

/** Identifies a session slot: one per server and realm (the user is only known after login). */
export interface SessionKey {
  server: string
  realm: string
}

/**
 * Reads a stored secret back into a record; undefined when it is not a session pve-login wrote. The stores call this
 * on everything they read, so a SessionRecord anywhere else has every field in shape: `server` is a URL and
 * `issuedAt` a date. Formatters rely on that and check nothing again.
 */
export function parseSessionRecord(text: string): SessionRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const candidate = value as Record<string, unknown>
  for (const field of ['server', 'realm', 'username', 'ticket', 'csrfToken', 'issuedAt'] as const) {
    if (typeof candidate[field] !== 'string' || candidate[field] === '') return undefined
  }
  if (!URL.canParse(candidate['server'] as string)) return undefined
  if (Number.isNaN(Date.parse(candidate['issuedAt'] as string))) return undefined
  for (const field of ['clusterName', 'loginAt', 'tlsPin'] as const) {
    if (candidate[field] !== undefined && typeof candidate[field] !== 'string') return undefined
  }
  // A damaged token entry costs the token, not the session: the next `env --api-token` mints a new one.
  if (candidate['apiToken'] !== undefined && !isStoredApiToken(candidate['apiToken'])) delete candidate['apiToken']
  return candidate as unknown as SessionRecord
}

function isStoredApiToken(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const token = value as Record<string, unknown>
  const strings = ['fullTokenId', 'tokenId', 'secret', 'expiresAt'].every((field) => typeof token[field] === 'string' && token[field] !== '')
  return strings && typeof token['privsep'] === 'boolean' && !Number.isNaN(Date.parse(token['expiresAt'] as string))
}
