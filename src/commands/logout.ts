import {Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {apiTokenRevocationLine} from '../cli/api-token-report.js'
import {leftoverVariablesHint, logoutReport} from '../cli/session-report.js'
import {cliLogger} from '../cli/cli-wording.js'
import {timeZoneOf} from '../format/duration.js'
import type {SessionKey} from '../session/session-record.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags} from './flags.js'

export default class Logout extends PveLoginCommand {
  static override summary = 'Forget the cached session (or, with --all, every one).'

  static override description = [
    `Deletes the local copy of the session from the ticket store (keychain item or file). It does not end the session on the server: PVE has no way to revoke a ticket, so one that was already handed on (by env, exec or ticket) keeps working until it expires, at most 2 hours after it was issued. logout says until when.`,
    `An API token kept with the session (\`env --api-token\`) is different: logout deletes it at PVE first, which ends it for every tool it was handed to. That needs the session's ticket to be valid; if it is not, or PVE cannot be reached, logout says so, forgets the token anyway, and the token ends at its expiry.`,
    `Without --all, the server and realm come from --server/--realm, PVE_LOGIN_SERVER/PVE_LOGIN_REALM or the remembered profile, and every user's session for that pair is removed.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage]

  static override examples = [
    {description: 'Forget the session of the remembered server and realm', command: '<%= config.bin %> logout'},
    {description: 'Forget every session of every server', command: '<%= config.bin %> logout --all'},
    {description: 'A realm of another server', command: '<%= config.bin %> logout --server pve2.example.com --realm entra-cli'},
  ]

  static override flags = {
    server: connectionFlags.server,
    realm: connectionFlags.realm,
    profile: connectionFlags.profile,
    store: connectionFlags.store,
    all: Flags.boolean({description: 'Remove the sessions of every server and realm.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Logout)
    const {logout} = await import('../session/logout.js')
    const input = {server: flags.server, realm: flags.realm, profile: flags.profile, store: flags.store}
    const tokenLines: string[] = []
    const removed = await logout({
      ...input,
      all: flags.all,
      logger: cliLogger(this.io),
      env: this.io.env,
      onApiToken: (outcome) => tokenLines.push(apiTokenRevocationLine(outcome)),
    })
    let selected: SessionKey | undefined
    if (removed.length === 0 && !flags.all) {
      const {resolveSettings} = await import('../session/settings.js')
      selected = await resolveSettings(input)
    }
    const report = logoutReport(removed, {all: flags.all, selected}, this.io.now(), timeZoneOf(this.io.env)).trimEnd()
    const hint = leftoverVariablesHint(this.io.env, this.io.platform)
    return {notes: [...tokenLines, report, ...(hint ? [hint.trimEnd()] : [])]}
  }
}
