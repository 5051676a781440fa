import type {CommandResult} from '../cli/command-result.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags, jsonFlag} from './flags.js'

export default class Status extends PveLoginCommand {
  static override summary = 'List cached sessions; exit 0 if the selected one is valid.'

  static override description = [
    `Shows every session in the ticket store (all servers and realms): user, cluster, time left and where it is kept. Nothing is renewed and nothing is sent to a server. --json prints the same as a list of objects (schemas/status.json), never with a ticket in it.`,
    `The exit code answers "can I use PVE now?" for scripts: 0 when the server and realm selected by --server/--realm, PVE_LOGIN_SERVER/PVE_LOGIN_REALM or the remembered profile have a valid ticket, 3 otherwise. With no server or realm set anywhere, 0 means at least one session is valid.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired]

  static override examples = [
    {description: 'What am I logged in to?', command: '<%= config.bin %> status'},
    {description: 'In a script: log in only when needed', command: '<%= config.bin %> status >/dev/null || <%= config.bin %>'},
    {description: 'Seconds left on each session', command: "<%= config.bin %> status --json | jq '.[] | {server, username, secondsLeft}'"},
    {description: 'Sessions in the file store only', command: '<%= config.bin %> status --store file'},
  ]

  static override flags = {
    server: connectionFlags.server,
    realm: connectionFlags.realm,
    profile: connectionFlags.profile,
    store: connectionFlags.store,
    ...jsonFlag,
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Status)
    const {statusResult} = await import('../cli/status-result.js')
    return statusResult(flags, this.io)
  }
}
