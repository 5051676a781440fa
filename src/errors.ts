import {adviceHint, LIBRARY_WORDS, type Advice} from './advice.js'

/**
 * Every failure the library reports is a PveLoginError with a stable `code` that callers (and the CLI's exit-code
 * mapping) can branch on, and a `hint` written for the person at the terminal: what to do next, in plain words.
 * Hints name library options, never CLI flags; where a hint points at a setting, its facts are kept as `advice` so a
 * caller (the CLI: src/cli/cli-wording.ts) can word it in its own terms.
 */
export type PveLoginErrorCode =
  | 'INVALID_INPUT'
  | 'REALM_INVALID'
  | 'LOGIN_REQUIRED'
  | 'TLS_VERIFICATION'
  | 'AUTHENTICATION_FAILED'
  | 'IDP_ERROR'
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | 'ABORTED'
  | 'PORT_IN_USE'
  | 'PVE_API_ERROR'
  | 'STORE_UNAVAILABLE'
  | 'SESSION_CORRUPT'
  | 'API_TOKEN_REFUSED'
  | 'API_TOKEN_UNSUPPORTED'
  | 'API_TOKEN_ID_CLASH'
  | 'API_TOKEN_NO_RIGHTS'
  | 'UNSAFE_STATE'
  | 'LOGIN_INTERCEPTED'

export interface PveLoginErrorOptions {
  hint?: string
  cause?: unknown
  /** The facts behind the hint; without `hint`, the hint is written from them in the library's words. */
  advice?: Advice
}

export class PveLoginError extends Error {
  readonly code: PveLoginErrorCode
  readonly hint: string | undefined
  /** What the hint points at (a setting, a value to pin, a login to run), as typed facts; see src/advice.ts. */
  readonly advice: Advice | undefined

  constructor(code: PveLoginErrorCode, message: string, options: PveLoginErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.advice = options.advice
    this.hint = options.hint ?? (options.advice ? adviceHint(options.advice, LIBRARY_WORDS) : undefined)
  }
}

/** Bad flags, environment or arguments: the caller can fix it by changing what they passed. */
export class InvalidInputError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('INVALID_INPUT', message, options)
  }
}

/** The realm does not exist on the server, or is not an OpenID realm. */
export class RealmError extends PveLoginError {
  readonly openidRealms: string[]
  constructor(message: string, openidRealms: string[], options: PveLoginErrorOptions = {}) {
    super('REALM_INVALID', message, options)
    this.openidRealms = openidRealms
  }
}

/** A ticket is needed, none is usable, and an interactive (browser) login is not allowed here. */
export class LoginRequiredError extends PveLoginError {
  /** The server and realm that need a login, when known. */
  readonly server: string | undefined
  readonly realm: string | undefined
  constructor(message: string, options: PveLoginErrorOptions & {server?: string; realm?: string} = {}) {
    super('LOGIN_REQUIRED', message, options)
    this.server = options.server
    this.realm = options.realm
  }
}

/** The server's certificate could not be verified (or did not match the pinned fingerprint). */
export class TlsVerificationError extends PveLoginError {
  /** SHA-256 fingerprint of the certificate the server presented, `AA:BB:…`, when it could be read. */
  readonly fingerprint: string | undefined
  constructor(message: string, fingerprint: string | undefined, options: PveLoginErrorOptions = {}) {
    super('TLS_VERIFICATION', message, options)
    this.fingerprint = fingerprint
  }
}

/** PVE refused the login or the renewal (its 401 `authentication failure`, which never says why). */
export class AuthenticationFailedError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('AUTHENTICATION_FAILED', message, options)
  }
}

/** The identity provider sent the browser back with `error=…` instead of a code. */
export class IdpError extends PveLoginError {
  readonly idpError: string
  readonly idpErrorDescription: string | undefined
  constructor(idpError: string, idpErrorDescription: string | undefined, options: PveLoginErrorOptions = {}) {
    super('IDP_ERROR', `The identity provider refused the sign-in: ${idpError}${idpErrorDescription ? ` (${idpErrorDescription})` : ''}`, options)
    this.idpError = idpError
    this.idpErrorDescription = idpErrorDescription
  }
}

export class TimeoutError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('TIMEOUT', message, options)
  }
}

export class UnreachableError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('UNREACHABLE', message, options)
  }
}

/** The caller's AbortSignal fired (Ctrl-C in the CLI). */
export class AbortedError extends PveLoginError {
  constructor(message = 'Cancelled.', options: PveLoginErrorOptions = {}) {
    super('ABORTED', message, options)
  }
}

export class PortInUseError extends PveLoginError {
  readonly ports: number[]
  constructor(ports: number[], options: PveLoginErrorOptions = {}) {
    super('PORT_IN_USE', `No port of ${ports.join(', ')} is free on 127.0.0.1 for the login callback.`, options)
    this.ports = ports
  }
}

/** PVE answered an API call with an error status. `pveMessage` is PVE's own text (without the trailing newline). */
export class PveApiError extends PveLoginError {
  readonly status: number
  readonly pveMessage: string
  readonly errors: Record<string, string> | undefined
  constructor(status: number, pveMessage: string, errors?: Record<string, string>, options: PveLoginErrorOptions = {}) {
    const details = errors ? ` ${Object.entries(errors).map(([k, v]) => `${k}: ${v.trim()}`).join('; ')}` : ''
    super('PVE_API_ERROR', `PVE answered ${status}: ${pveMessage}${details}`, options)
    this.status = status
    this.pveMessage = pveMessage
    this.errors = errors
  }
}

/** The requested ticket store cannot be used (no Secret Service, locked keychain, unwritable directory…). */
export class StoreUnavailableError extends PveLoginError {
  /** The store that was tried. */
  readonly store: 'keychain' | 'file' | 'none' | undefined
  constructor(message: string, options: PveLoginErrorOptions & {store?: 'keychain' | 'file' | 'none'} = {}) {
    super('STORE_UNAVAILABLE', message, options)
    this.store = options.store
  }
}

export class SessionCorruptError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('SESSION_CORRUPT', message, options)
  }
}

/** What went wrong with an API token, beyond a plain PVE API error. */
export type ApiTokenErrorCode = Extract<PveLoginErrorCode, `API_TOKEN_${string}`>

/**
 * Creating or equipping a short-lived API token failed: PVE refused it for this user (API_TOKEN_REFUSED), the
 * server is older than API tokens (PVE 6.2; API_TOKEN_UNSUPPORTED), every random id tried was taken
 * (API_TOKEN_ID_CLASH), or a privilege-separated token could not be given any rights (API_TOKEN_NO_RIGHTS).
 */
export class ApiTokenError extends PveLoginError {
  declare readonly code: ApiTokenErrorCode
  constructor(code: ApiTokenErrorCode, message: string, options: PveLoginErrorOptions = {}) {
    super(code, message, options)
  }
}

/**
 * pve-login's own folders or files could be changed by someone else (group- or world-writable, owned by another
 * user, a symlink out of the folder): tickets and server settings kept there cannot be trusted, so nothing is used.
 */
export class UnsafeStateError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('UNSAFE_STATE', message, options)
  }
}

export function isPveLoginError(error: unknown): error is PveLoginError {
  return error instanceof PveLoginError
}

/**
 * The login's one-time start URL was opened twice, or a callback came before it was opened: another program on this
 * computer may be slipping its own sign-in into this login (login CSRF). The login stops instead of storing it.
 */
export class LoginInterceptedError extends PveLoginError {
  constructor(message: string, options: PveLoginErrorOptions = {}) {
    super('LOGIN_INTERCEPTED', message, options)
  }
}
