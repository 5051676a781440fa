import type {CommandResult} from '../cli/command-result.js'
import {refreshReport} from '../cli/session-report.js'
import {timeZoneOf} from '../format/duration.js'
import {sessionStatus} from '../format/session-json.js'
import {EXIT} from '../cli/exit-codes.js'
import {connectionFlags, jsonFlag, sessionFlags} from './flags.js'
import {SessionCommand} from './session-command.js'

export default class Refresh extends SessionCommand {
  static override summary = 'Renew the PVE ticket now and print the new expiry.'

  static override description = [
    `Trades the cached ticket for a fresh 2-hour one (POST /access/ticket with the ticket as the password: no browser, no second factor). Other commands renew on their own when --min-valid demands it; refresh is for a long job that wants a full 2 hours before it starts. A ticket that has already expired cannot be renewed: then refresh logs in through the browser when a person is at the terminal (or with --login), else exits 3.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]

  static override examples = [
    {description: 'Renew now', command: '<%= config.bin %> refresh'},
    {description: 'Renew, then run a long job with the fresh ticket', command: '<%= config.bin %> refresh && <%= config.bin %> exec -- ./long-deployment.sh'},
    {description: 'The new expiry for a script', command: '<%= config.bin %> refresh --json | jq -r .expiresAt'},
  ]

  static override flags = {
    ...connectionFlags,
    login: sessionFlags.login,
    'no-login': sessionFlags['no-login'],
    'browser-command': sessionFlags['browser-command'],
    ...jsonFlag,
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Refresh)
    // Any usable ticket will do as the password: without this, a ticket under --min-valid would be renewed twice.
    const session = await this.getSession(flags, {minValidSeconds: 1})
    try {
      if (session.source === 'cache') await session.renew()
      const now = this.io.now()
      return {
        notes: [refreshReport(session.record, session.source === 'login' ? 'login' : 'renewed', now, timeZoneOf(this.io.env)).trimEnd()],
        json: flags.json ? sessionStatus({record: session.record, store: session.storeKind}, {now}) : undefined,
      }
    } finally {
      await session.close()
    }
  }
}
