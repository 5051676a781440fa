import {competingCredentialWarnings, parseConsumer, sessionVariables} from '../format/environment.js'
import {ticketJson} from '../format/session-json.js'
import {detectShell, renderVariables, type ShellFormat} from '../format/shell.js'
import type {CommandResult} from './command-result.js'
import type {CliIO} from './io.js'
import {getCommandSessionRecord, type ScriptSessionFlags} from './script-session.js'
import {ticketText, writeTicketFile, type TicketOutputFlags} from './ticket-output.js'

export interface EnvFlags extends ScriptSessionFlags {
  shell?: ShellFormat
  for?: string[]
}

/** `pve-login env`: only the assignments reach stdout, so `eval "$(pve-login env)"` never evaluates a message. */
export async function envResult(flags: EnvFlags, signal: AbortSignal, io: CliIO): Promise<CommandResult> {
  const shell = flags.shell ?? detectShell(io.env, io.platform)
  const consumer = flags.for?.map(parseConsumer)
  for (const message of competingCredentialWarnings(io.env, {consumer})) io.warn(message)
  const {record} = await getCommandSessionRecord(flags, signal, io)
  const {variables, notes} = sessionVariables(record, {consumer, insecure: flags.insecure})
  // Rendered in full before anything is written: a refused value must not leave half a script on stdout.
  const text = renderVariables(variables, shell)
  return {notes: notes.map((note) => `pve-login: note: ${note}`), text}
}

export interface TicketFlags extends ScriptSessionFlags, TicketOutputFlags {}

/** `pve-login ticket`: the ticket and a newline, the ticketJson object, a curl config or a cookie jar; or a private file. */
export async function ticketResult(flags: TicketFlags, signal: AbortSignal, io: CliIO): Promise<CommandResult> {
  const {record} = await getCommandSessionRecord(flags, signal, io)
  const text = ticketText(record, flags)
  if (flags.output) {
    await writeTicketFile(flags.output, text)
    return {}
  }
  return flags.json ? {json: ticketJson(record)} : {text}
}
