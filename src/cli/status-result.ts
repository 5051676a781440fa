import {timeZoneOf} from '../format/duration.js'
import {statusJson, type StatusSource} from '../format/session-json.js'
import {renderStatusTable} from '../format/table.js'
import {DEFAULT_MIN_VALID_SECONDS} from '../session/renewal-policy.js'
import {listSessions, strayWarning} from '../session/session-list.js'
import {cliLogger} from './cli-wording.js'
import type {CommandResult} from './command-result.js'
import type {CliIO} from './io.js'
import {statusExitCode, statusLoginHint} from './session-report.js'

export interface StatusFlags {
  server?: string
  realm?: string
  profile?: string
  store?: string
  json?: boolean
}

/**
 * `pve-login status`: every stored session as a table (or JSON), exit 0 only when the selected server and realm have
 * a valid one. Reads the store only, so the oclif command and the fast path (src/cli/fast-path.ts) both run this.
 */
export async function statusResult(flags: StatusFlags, io: CliIO): Promise<CommandResult> {
  const listing = await listSessions({server: flags.server, realm: flags.realm, profile: flags.profile, store: flags.store, env: io.env, logger: cliLogger(io)})
  for (const account of listing.corrupt) {
    io.warn(`The stored entry "${account}" in ${listing.location} is not a readable session; the next login for it replaces it.`)
  }
  if (listing.stray.length > 0) io.warn(strayWarning(listing.stray))
  // Where each session lives: the keychain and the file store can both hold some (see docs/storage.md).
  const sources: StatusSource[] = listing.records
    .map((record) => ({record, store: listing.placedIn.get(record) ?? listing.store}))
    .sort((a, b) => a.record.server.localeCompare(b.record.server) || a.record.realm.localeCompare(b.record.realm) || a.record.username.localeCompare(b.record.username))
  // Renewal is due where `env` and `ticket` (default --min-valid) would renew.
  const options = {now: io.now(), renewBeforeSeconds: DEFAULT_MIN_VALID_SECONDS}
  const statuses = statusJson(sources, options)
  const exitCode = statusExitCode(statuses, listing.selected)
  const hint = exitCode === 0 ? undefined : statusLoginHint(listing.selected)
  return {json: statuses, text: renderStatusTable(sources, {...options, timeZone: timeZoneOf(io.env)}), hint, exitCode}
}
