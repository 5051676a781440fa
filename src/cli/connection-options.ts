import type {SessionOptions} from '../session/session-options.js'
import {INSECURE_WARNING, warn} from './terminal.js'

/** The connection flags every server-facing command shares, as parsed (by oclif or the fast path). */
export interface ConnectionFlagValues {
  server?: string
  realm?: string
  profile?: string
  fingerprint?: string
  'ca-file'?: string
  insecure?: boolean
  store?: string
}

/** Library options from the connection flags; --insecure warns on every run. */
export function connectionOptions(flags: ConnectionFlagValues, signal: AbortSignal): SessionOptions {
  if (flags.insecure) warn(INSECURE_WARNING)
  return {
    server: flags.server,
    realm: flags.realm,
    profile: flags.profile,
    store: flags.store,
    tls: {fingerprint: flags.fingerprint, caFile: flags['ca-file'], insecure: flags.insecure},
    signal,
    logger: {warn},
  }
}
