import type {SessionRecordResult} from '../session/get-session.js'
import type {ObtainedApiToken, StoredApiTokenOptions} from '../session/stored-api-token.js'
import type {Session} from '../session/session.js'
import type {SessionOptions, SessionSource} from '../session/session-options.js'
import {connectionOptions, type ConnectionFlagValues} from './connection-options.js'
import {implicitLogin, type ImplicitLoginFlags} from './implicit-login.js'
import type {CliIO} from './io.js'

export type ScriptSessionFlags = ConnectionFlagValues & ImplicitLoginFlags

/**
 * The stored session for a command that hands the ticket on (env, exec, ticket): cached, renewed, or a browser
 * login when a person is there. The HTTP stack loads only when the cache cannot answer.
 */
export function getCommandSessionRecord(flags: ScriptSessionFlags, signal: AbortSignal, io: CliIO, options: {allowPaste?: boolean} = {}): Promise<SessionRecordResult> {
  return withImplicitLogin(flags, signal, io, options, async (sessionOptions) => {
    const {getSessionRecord} = await import('../session/get-session.js')
    const found = await getSessionRecord(sessionOptions)
    return {result: found, source: found.source, who: found.record}
  })
}

/** The same for a command that makes requests itself (api, refresh): a Session, which the caller closes. */
export function getCommandSession(
  flags: ScriptSessionFlags,
  signal: AbortSignal,
  io: CliIO,
  overrides: Pick<SessionOptions, 'minValidSeconds'> & {allowPaste?: boolean} = {},
): Promise<Session> {
  const {allowPaste, ...sessionOverrides} = overrides
  return withImplicitLogin(flags, signal, io, {allowPaste}, async (sessionOptions) => {
    const {getSession} = await import('../session/get-session.js')
    const session = await getSession({...sessionOptions, ...sessionOverrides})
    return {result: session, source: session.source, who: session}
  })
}

/** `env --api-token`: the API token kept with the session (reused while it has --min-valid left), else a new one. */
export function getCommandApiToken(
  flags: ScriptSessionFlags,
  signal: AbortSignal,
  io: CliIO,
  tokenOptions: Pick<StoredApiTokenOptions, 'ttlSeconds' | 'privsep' | 'acl'>,
): Promise<ObtainedApiToken> {
  return withImplicitLogin(flags, signal, io, {}, async (sessionOptions) => {
    const {obtainStoredApiToken} = await import('../session/stored-api-token.js')
    const obtained = await obtainStoredApiToken({...sessionOptions, ...tokenOptions})
    return {result: obtained, source: obtained.sessionSource, who: obtained.record}
  })
}

/** The shared policy: the implicit-login options, one line when a browser login happened, the progress view stopped. */
async function withImplicitLogin<T>(
  flags: ScriptSessionFlags,
  signal: AbortSignal,
  io: CliIO,
  options: {allowPaste?: boolean},
  get: (sessionOptions: SessionOptions) => Promise<{result: T; source: SessionSource; who: {server: string; username: string}}>,
): Promise<T> {
  const login = implicitLogin(flags, io, {allowPaste: options.allowPaste ?? true})
  try {
    // Merged with their getters intact: the login's options look at the terminal only if a login starts.
    const sessionOptions = Object.defineProperties(connectionOptions(flags, signal, io), Object.getOwnPropertyDescriptors(login.options))
    const {result, source, who} = await get(sessionOptions)
    if (source === 'login') io.info(`Logged in to ${who.server} as ${who.username}.`)
    return result
  } finally {
    login.finish()
  }
}
