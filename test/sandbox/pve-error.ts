/**
 * An error PVE would answer with. `message` is the raw die text (usually ending in "\n"); the HTTP reason phrase
 * is its first line. `emptyBody` marks the authentication 401s, which PVE sends without any body.
 */
export class PveError extends Error {
  override readonly name = 'PveError'

  constructor(
    readonly status: number,
    message: string,
    readonly details: {errors?: Record<string, string>; emptyBody?: boolean} = {},
  ) {
    super(message)
  }
}

export const noTicket = (): PveError => new PveError(401, 'No ticket', {emptyBody: true})
export const authenticationFailed = (): PveError => new PveError(401, 'Authentication failed!', {emptyBody: true})
export const invalidCsrfToken = (): PveError =>
  new PveError(401, 'Permission denied - invalid csrf token', {emptyBody: true})

/** The only thing a failed OpenID login or ticket request ever tells the client. */
export const authenticationFailure = (): PveError => new PveError(401, 'authentication failure\n')

export const parameterVerificationFailed = (errors: Record<string, string>): PveError =>
  new PveError(400, 'Parameter verification failed.\n', {errors})

export const notImplemented = (method: string, path: string): PveError =>
  new PveError(501, `Method '${method} ${path}' not implemented`)
