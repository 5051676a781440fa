import {Flags} from '@oclif/core'

import {apiTokenRows, isProcessRunning} from '../cli/api-token-report.js'
import {renderApiTokenTable} from '../format/api-token-table.js'
import type {CommandResult} from '../cli/command-result.js'
import {EXIT} from '../cli/exit-codes.js'
import {RENEW_BEFORE_SECONDS} from '../session/renewal-policy.js'
import {connectionFlags, jsonFlag, sessionFlags} from './flags.js'
import {SessionCommand} from './session-command.js'

export default class ApiTokens extends SessionCommand {
  static override summary = 'List the API tokens pve-login made; --prune deletes stale ones.'

  static override description = [
    `Asks PVE for your user's API tokens and shows those pve-login created (id pve-login-<random> and pve-login's comment: host, process and time), with their expiry. Tokens you made yourself are never shown or touched. Needs a valid or renewable ticket: PVE lets only a ticket, not a token, list and delete tokens.`,
    `State: live; expired (PVE refuses it); gone: made on this computer by an \`exec --api-token\` whose process has ended (pve-login was killed before it could delete it), or by an \`env --api-token\` and no longer the one kept in the store. --prune deletes the expired and gone ones. A token made on another computer is only pruned once it has expired, because only that computer knows whether its run is still going.`,
    `--json prints the rows as a list of objects, never with a secret.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]

  static override examples = [
    {description: 'What did pve-login leave behind?', command: '<%= config.bin %> api-tokens'},
    {description: 'Delete expired tokens and those of finished runs', command: '<%= config.bin %> api-tokens --prune'},
  ]

  static override flags = {
    ...connectionFlags,
    ...sessionFlags,
    ...jsonFlag,
    prune: Flags.boolean({description: 'Delete the tokens whose state is expired or gone.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(ApiTokens)
    const session = await this.getSession(flags, {minValidSeconds: RENEW_BEFORE_SECONDS + 120})
    try {
      const stored = session.record.apiToken
      const rows = apiTokenRows(await session.listApiTokens(), {
        now: this.io.now(),
        storedTokenIds: new Set(stored ? [stored.tokenId] : []),
        isRunning: isProcessRunning,
      })
      const pruned = new Set<string>()
      if (flags.prune) {
        for (const row of rows.filter((each) => each.state !== 'live')) {
          try {
            await session.deleteApiToken(row.tokenId)
            pruned.add(row.tokenId)
          } catch (error) {
            this.io.warn(`could not delete API token ${row.fullTokenId} (${(error as Error).message}).`)
          }
        }
      }
      return {
        json: rows.map((row) => ({...row, deleted: pruned.has(row.tokenId)})),
        text: renderApiTokenTable(rows, pruned),
        ...(flags.prune ? {report: `Deleted ${pruned.size} of ${rows.length} API token${rows.length === 1 ? '' : 's'} made by pve-login.`} : {}),
      }
    } finally {
      await session.close()
    }
  }
}
