import type {CommandResult} from '../cli/command-result.js'
import {ticketResult} from '../cli/script-output.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags, jsonFlag, sessionFlags, ticketOutputFlags} from './flags.js'

export default class Ticket extends PveLoginCommand {
  static override summary = 'Print the PVE ticket (--json: with CSRF token and expiry).'

  static override description = [
    `For tools that take the ticket itself: stdout carries the ticket and a newline, nothing else. --json prints one object with endpoint, username, ticket, csrfToken, clusterName, issuedAt and expiresAt (schemas/ticket.json). The ticket is renewed or a login started first, exactly as for \`pve-login env\`. Send it as the cookie PVEAuthCookie=<ticket>; requests other than GET also need the header CSRFPreventionToken: <csrfToken>.`,
    `Keep it off command lines (other users can read those in \`ps\`): pass it through a file, stdin or the environment, or use \`pve-login exec\`.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]

  static override examples = [
    {description: 'A curl config (cookie and CSRF header, mode 0600) that keeps the ticket out of `ps`', command: '<%= config.bin %> ticket --format curl --output ~/.pve-curl && curl -K ~/.pve-curl https://pve.example.com:8006/api2/json/nodes'},
    {description: 'When does the ticket expire?', command: '<%= config.bin %> ticket --json | jq -r .expiresAt'},
    {description: 'A ticket good for the next 90 minutes, without ever opening a browser', command: '<%= config.bin %> ticket --min-valid 90m --no-login'},
  ]

  static override flags = {...connectionFlags, ...sessionFlags, ...jsonFlag, ...ticketOutputFlags}

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Ticket)
    return ticketResult(flags, this.abort.signal, this.io)
  }
}
