import {implicitLogin, type ImplicitLoginFlags} from '../cli/implicit-login.js'
import {obtainScriptSession} from '../cli/script-session.js'
import type {SessionRecordResult} from '../session/get-session.js'
import type {Session} from '../session/session.js'
import {PveLoginCommand} from './base-command.js'

type SessionCommandFlags = Parameters<PveLoginCommand['connectionOptions']>[0] & ImplicitLoginFlags

/**
 * Commands that need a ticket on the way (exec, api, refresh; env and ticket share the same path through
 * src/cli/script-session.ts): the cached one, a silent renewal, or a browser login when a person is there. The
 * library is loaded on first use, so `--help` stays cheap.
 */
export abstract class SessionCommand extends PveLoginCommand {
  /** The stored session only, without the HTTP stack when the cache answers: for commands that hand the ticket on. */
  protected obtainRecord(flags: SessionCommandFlags, options: {allowPaste?: boolean} = {}): Promise<SessionRecordResult> {
    return obtainScriptSession(flags, this.abort.signal, this.io, options)
  }

  /** A Session that makes requests; the caller closes it. */
  protected async openSession(flags: SessionCommandFlags, overrides: {minValidSeconds?: number} = {}): Promise<Session> {
    const login = implicitLogin(flags, this.io)
    const {getSession} = await import('../session/get-session.js')
    try {
      const session = await getSession({...this.connectionOptions(flags), ...login.options, ...overrides})
      if (session.source === 'login') this.io.info(`Logged in to ${session.server} as ${session.username}.`)
      return session
    } finally {
      login.finish()
    }
  }
}
