import {timeZoneOf} from '../format/duration.js'
import type {CommandResult} from './command-result.js'
import {connectionOptions, type ConnectionFlagValues} from './connection-options.js'
import {offerDoctorAfterRefusal} from './doctor-run.js'
import type {CliIO} from './io.js'
import {LoginProgressView} from './login-progress.js'
import {loginResultJson, loginSummary} from './login-summary.js'
import {PastePrompt} from './paste-prompt.js'
import {parsePorts} from './ports-option.js'
import {realmForFirstRun} from './realm-choice.js'

export interface LoginFlags extends ConnectionFlagValues {
  port?: string
  'redirect-host'?: '127.0.0.1' | 'localhost'
  'login-node'?: string
  browser: boolean
  'browser-command'?: string
  /** Seconds. */
  timeout: number
  'include-ticket'?: boolean
  json?: boolean
}

/**
 * `pve-login login` (and plain `pve-login`): the browser login, always, whatever is cached. oclif-free, so the
 * command class and the fast path (src/cli/fast-path.ts, which spares a login oclif's start-up) both run this.
 */
export async function loginResult(flags: LoginFlags, signal: AbortSignal, io: CliIO): Promise<CommandResult> {
  const {login} = await import('../session/get-session.js')
  const json = flags.json === true
  const connection = connectionOptions(flags, signal, io)
  const realm = await realmForFirstRun(io, connection, {json})
  const ports = parsePorts(flags.port)
  const paste = new PastePrompt(true, io)
  const progress = new LoginProgressView(io, {browserRequested: flags.browser, paste})
  let session: Awaited<ReturnType<typeof login>>
  try {
    session = await login({
      ...connection,
      ...(realm ? {realm} : {}),
      ports,
      redirectHost: flags['redirect-host'],
      loginNode: flags['login-node'],
      timeoutMs: flags.timeout * 1000,
      openBrowser: flags.browser ? undefined : false,
      browserCommand: flags['browser-command'],
      pasteInput: paste.input,
      onProgress: paste.watch(progress.handle),
    })
  } catch (error) {
    progress.stop()
    paste.finish()
    const exitCode = await offerDoctorAfterRefusal(error, io, {
      ...connection,
      ports,
      redirectHost: flags['redirect-host'],
      browserCommand: flags['browser-command'],
      json,
    })
    if (exitCode === undefined) throw error
    return {exitCode}
  } finally {
    progress.stop()
    paste.finish()
  }
  const result = {json: loginResultJson(session, {includeTicket: flags['include-ticket']}), compactJson: true, report: loginSummary(session, io.now(), timeZoneOf(io.env))}
  await session.close()
  return result
}
