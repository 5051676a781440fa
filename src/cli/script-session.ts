import type {ObtainedSession} from '../session/get-session.js'
import {connectionOptions, type ConnectionFlagValues} from './connection-options.js'
import {implicitLogin, type ImplicitLoginFlags} from './implicit-login.js'
import {info} from './terminal.js'

export type ScriptSessionFlags = ConnectionFlagValues & ImplicitLoginFlags

/**
 * The stored session for a command that hands the ticket on (env, exec, ticket): cached, renewed, or a browser
 * login when a person is there. The HTTP stack loads only when the cache cannot answer.
 */
export async function obtainScriptSession(flags: ScriptSessionFlags, signal: AbortSignal, options: {allowPaste?: boolean} = {}): Promise<ObtainedSession> {
  const login = implicitLogin(flags, {allowPaste: options.allowPaste ?? true})
  const {obtainSession} = await import('../session/get-session.js')
  try {
    const obtained = await obtainSession({...connectionOptions(flags, signal), ...login.options})
    if (obtained.source === 'login') info(`Logged in to ${obtained.record.server} as ${obtained.record.username}.`)
    return obtained
  } finally {
    login.finish()
  }
}
