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
  /** SHA-256 fingerprint (`AA:BB:…`) the server's certificate was pinned to when this session was made. */
  tlsPin?: string
}

/** Identifies a session slot: one per server and realm (the user is only known after login). */
export interface SessionKey {
  server: string
  realm: string
}
