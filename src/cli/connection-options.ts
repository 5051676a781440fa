import type {SessionOptions} from '../session/session-options.js'
import {cliLogger} from './cli-wording.js'
import type {CliIO} from './io.js'
import {INSECURE_WARNING} from './terminal.js'

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
export function connectionOptions(flags: ConnectionFlagValues, signal: AbortSignal, io: CliIO): SessionOptions {
  if (flags.insecure) io.warn(INSECURE_WARNING)
  return {
    server: flags.server,
    realm: flags.realm,
    profile: flags.profile,
    store: flags.store,
    tls: {fingerprint: flags.fingerprint, caFile: flags['ca-file'], insecure: flags.insecure},
    env: io.env,
    signal,
    logger: cliLogger(io),
  }
}
