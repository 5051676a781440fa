import type {ImplicitLoginFlags} from '../cli/implicit-login.js'
import {getCommandSession, getCommandSessionRecord} from '../cli/script-session.js'
import type {SessionRecordResult} from '../session/get-session.js'
import type {Session} from '../session/session.js'
import {PveLoginCommand} from './base-command.js'

type SessionCommandFlags = Parameters<PveLoginCommand['connectionOptions']>[0] & ImplicitLoginFlags

/**
 * Commands that need a ticket on the way (exec, api, refresh; env and ticket call src/cli/script-session.ts
 * directly, as these methods do): the cached one, a silent renewal, or a browser login when a person is there.
 * The library is loaded on first use, so `--help` stays cheap.
 */
export abstract class SessionCommand extends PveLoginCommand {
  /** The stored session only, without the HTTP stack when the cache answers: for commands that hand the ticket on. */
  protected getSessionRecord(flags: SessionCommandFlags, options: {allowPaste?: boolean} = {}): Promise<SessionRecordResult> {
    return getCommandSessionRecord(flags, this.abort.signal, this.io, options)
  }

  /** A Session that makes requests; the caller closes it. */
  protected getSession(flags: SessionCommandFlags, overrides: {minValidSeconds?: number; allowPaste?: boolean} = {}): Promise<Session> {
    return getCommandSession(flags, this.abort.signal, this.io, overrides)
  }
}
