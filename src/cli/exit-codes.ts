import type {PveLoginErrorCode} from '../errors.js'

/** The CLI's exit codes: a contract with scripts (docs/cli.md lists them). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  loginRequired: 3,
  tls: 4,
  refused: 5,
  timeout: 6,
  unreachable: 7,
  interrupted: 130,
  /** The reader of stdout went away (a closed pipe): 128 + SIGPIPE, as for a program that signal killed. */
  stdoutClosed: 141,
  terminated: 143,
} as const

const BY_CODE: Record<PveLoginErrorCode, number> = {
  INVALID_INPUT: EXIT.usage,
  REALM_INVALID: EXIT.usage,
  PORT_IN_USE: EXIT.usage,
  LOGIN_REQUIRED: EXIT.loginRequired,
  TLS_VERIFICATION: EXIT.tls,
  AUTHENTICATION_FAILED: EXIT.refused,
  IDP_ERROR: EXIT.refused,
  TIMEOUT: EXIT.timeout,
  UNREACHABLE: EXIT.unreachable,
  ABORTED: EXIT.interrupted,
  PVE_API_ERROR: EXIT.failure,
  STORE_UNAVAILABLE: EXIT.failure,
  SESSION_CORRUPT: EXIT.failure,
  // PVE said no to this user's token (or to its ACLs): like a refused login, the person has to get rights first.
  API_TOKEN_REFUSED: EXIT.refused,
  API_TOKEN_NO_RIGHTS: EXIT.refused,
  API_TOKEN_UNSUPPORTED: EXIT.failure,
  API_TOKEN_ID_CLASH: EXIT.failure,
  UNSAFE_STATE: EXIT.usage,
  LOGIN_INTERCEPTED: EXIT.refused,
}

export function exitCodeFor(code: PveLoginErrorCode): number {
  return BY_CODE[code]
}

/** What each exit code means, in the words `--help` and docs/cli.md use. */
export const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  [EXIT.ok]: 'ok',
  [EXIT.failure]: 'other failure (PVE refused an API call, the ticket store failed, a bug)',
  [EXIT.usage]: 'usage: a bad flag, argument or realm',
  [EXIT.loginRequired]: 'login required, and no browser login is possible here',
  [EXIT.tls]: 'the server certificate did not verify',
  [EXIT.refused]: 'PVE or the identity provider refused the login',
  [EXIT.timeout]: 'timed out',
  [EXIT.unreachable]: 'server unreachable',
  [EXIT.interrupted]: 'interrupted (Ctrl-C)',
  [EXIT.terminated]: 'terminated (SIGTERM)',
}

/** An exit code, or one with what it means for this command when that is narrower than EXIT_MEANINGS says. */
export type ExitCodeEntry = number | readonly [number, string]

/** `0 ok`, `3 login required …`: one line per code, for help texts. */
export function describeExitCodes(codes: readonly ExitCodeEntry[]): string[] {
  return codes.map((entry) => {
    const [code, meaning] = typeof entry === 'number' ? [entry, EXIT_MEANINGS[entry] ?? ''] : entry
    return `${String(code).padStart(3)}  ${meaning}`.trimEnd()
  })
}
