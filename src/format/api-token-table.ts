/**
 * `pve-login api-tokens`: the rows (also its --json form) and the table people read. Pure: rows in, text out.
 */
import {formatDuration} from './duration.js'

/** One row of `api-tokens`: a token pve-login made for this user on this server. */
export interface ApiTokenRow {
  tokenId: string
  fullTokenId: string
  /** ISO 8601 UTC; null: never expires (not one pve-login would make). */
  expiresAt: string | null
  secondsLeft: number | null
  privsep: boolean
  /** Where and by which process it was made (from the token's comment). */
  host: string
  pid: number
  createdAt: string
  /** `exec` or `env` (the command that made it), or the library caller's own comment. */
  madeBy: string | null
  /**
   * live: in use or usable; expired: PVE refuses it now; gone: made on this host by an `exec` whose process has
   * ended, or by an `env` whose token is no longer the one in the store. --prune deletes expired and gone ones.
   */
  state: 'live' | 'expired' | 'gone'
}

export function renderApiTokenTable(rows: readonly ApiTokenRow[], pruned: ReadonlySet<string>): string {
  if (rows.length === 0) return 'No API tokens made by pve-login.\n'
  const headers = ['TOKEN', 'EXPIRES', 'MADE BY', 'STATE']
  const cells = rows.map((row) => [
    row.fullTokenId + (row.privsep ? ' (privsep)' : ''),
    row.secondsLeft === null ? 'never' : row.secondsLeft > 0 ? `in ${formatDuration(row.secondsLeft)}` : `${formatDuration(-row.secondsLeft)} ago`,
    `${row.madeBy ?? 'library'} on ${row.host} pid ${row.pid}`,
    pruned.has(row.tokenId) ? `${row.state}, deleted` : row.state,
  ])
  const table = [headers, ...cells]
  const widths = headers.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)))
  return table.map((line) => line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ') + '\n').join('')
}
