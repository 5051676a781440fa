import type {SessionRecordResult} from '../session/get-session.js'
import {connectionOptions, type ConnectionFlagValues} from './connection-options.js'
import {implicitLogin, type ImplicitLoginFlags} from './implicit-login.js'
import type {CliIO} from './io.js'

export type ScriptSessionFlags = ConnectionFlagValues & ImplicitLoginFlags

/**
 * The stored session for a command that hands the ticket on (env, exec, ticket): cached, renewed, or a browser
 * login when a person is there. The HTTP stack loads only when the cache cannot answer.
 */
export async function obtainScriptSession(flags: ScriptSessionFlags, signal: AbortSignal, io: CliIO, options: {allowPaste?: boolean} = {}): Promise<SessionRecordResult> {
  const login = implicitLogin(flags, io, {allowPaste: options.allowPaste ?? true})
  const {getSessionRecord} = await import('../session/get-session.js')
  try {
    const obtained = await getSessionRecord({...connectionOptions(flags, signal, io), ...login.options})
    if (obtained.source === 'login') io.info(`Logged in to ${obtained.record.server} as ${obtained.record.username}.`)
    return obtained
  } finally {
    login.finish()
  }
}
