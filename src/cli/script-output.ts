import {
  apiTokenVariables,
  competingCredentialWarnings,
  competingWithToken,
  parseConsumer,
  sessionVariables,
  type Consumer,
  type SessionVariables,
} from '../format/environment.js'
import {formatTimestamp, ticketJson} from '../format/session-json.js'
import {detectShell, renderVariables, type ShellFormat} from '../format/shell.js'
import type {ApiTokenOptions} from '../session/api-token.js'
import {apiTokenOptions, type ApiTokenFlags} from './api-token-options.js'
import type {CommandResult} from './command-result.js'
import type {CliIO} from './io.js'
import {getCommandApiToken, getCommandSessionRecord, type ScriptSessionFlags} from './script-session.js'
import {ticketText, writeTicketFile, type TicketOutputFlags} from './ticket-output.js'

export interface EnvFlags extends ScriptSessionFlags, ApiTokenFlags {
  shell?: ShellFormat
  for?: string[]
}

/** `pve-login env`: only the assignments reach stdout, so `eval "$(pve-login env)"` never evaluates a message. */
export async function envResult(flags: EnvFlags, signal: AbortSignal, io: CliIO): Promise<CommandResult> {
  const shell = flags.shell ?? detectShell(io.env, io.platform)
  const consumer = flags.for?.map(parseConsumer)
  const tokenOptions = apiTokenOptions(flags)
  let result: SessionVariables
  if (tokenOptions) {
    result = await storedTokenVariables(flags, tokenOptions, consumer, signal, io)
  } else {
    for (const message of competingCredentialWarnings(io.env, {consumer})) io.warn(message)
    const {record} = await getCommandSessionRecord(flags, signal, io)
    result = sessionVariables(record, {consumer, insecure: flags.insecure})
  }
  const {variables, notes} = result
  // Rendered in full before anything is written: a refused value must not leave half a script on stdout.
  const text = renderVariables(variables, shell)
  return {notes: notes.map((note) => `pve-login: note: ${note}`), text}
}

/** `env --api-token`: the token kept with the session, reused while it has --min-valid left, else a new one. */
async function storedTokenVariables(flags: EnvFlags, tokenOptions: ApiTokenOptions, consumer: Consumer[] | undefined, signal: AbortSignal, io: CliIO): Promise<SessionVariables> {
  for (const name of competingWithToken({consumer})) {
    if (io.env[name]) io.warn(`${name} is set in this shell: a tool that finds it may log in with it instead of the API token. Unset it to be sure the token is used.`)
  }
  const obtained = await getCommandApiToken(flags, signal, io, tokenOptions)
  const {record, token} = obtained
  if (obtained.source === 'created') {
    io.info(`pve-login: created API token ${token.fullTokenId}, valid until ${formatTimestamp(new Date(token.expiresAt))}; \`pve-login logout\` deletes it.`)
  }
  return apiTokenVariables({server: record.server, username: record.username, ...token}, {consumer, insecure: flags.insecure})
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
