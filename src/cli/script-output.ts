import {competingCredentialWarnings, parseConsumer, sessionVariables} from '../format/environment.js'
import {renderJson, ticketJson} from '../format/session-json.js'
import {detectShell, renderVariables, type ShellFormat} from '../format/shell.js'
import {obtainScriptSession, type ScriptSessionFlags} from './script-session.js'
import {info, warn} from './terminal.js'

export interface EnvFlags extends ScriptSessionFlags {
  shell?: ShellFormat
  for?: string[]
}

/** `pve-login env`: only the assignments reach stdout, so `eval "$(pve-login env)"` never evaluates a message. */
export async function writeEnv(flags: EnvFlags, signal: AbortSignal): Promise<void> {
  const shell = flags.shell ?? detectShell(process.env, process.platform)
  const consumer = flags.for?.map(parseConsumer)
  for (const message of competingCredentialWarnings(process.env, {consumer})) warn(message)
  const {record} = await obtainScriptSession(flags, signal)
  const {variables, notes} = sessionVariables(record, {consumer, insecure: flags.insecure})
  // Rendered in full before anything is written: a refused value must not leave half a script on stdout.
  const text = renderVariables(variables, shell)
  for (const note of notes) info(`pve-login: note: ${note}`)
  process.stdout.write(text)
}

export interface TicketFlags extends ScriptSessionFlags {
  json?: boolean
}

/** `pve-login ticket`: the ticket and a newline, or the ticketJson object. */
export async function writeTicket(flags: TicketFlags, signal: AbortSignal): Promise<void> {
  const {record} = await obtainScriptSession(flags, signal)
  process.stdout.write(flags.json ? renderJson(ticketJson(record)) : `${record.ticket}\n`)
}
