/**
 * `pve-login status` for people: one aligned line per session. Scripts use `status --json` instead; this text may
 * change between versions.
 */
import {formatDuration, formatLocalTime} from './duration.js'
import {sessionStatus, type StatusOptions, type StatusSource} from './session-json.js'
import {forTerminal} from './terminal-text.js'

const HEADERS = ['SERVER', 'REALM', 'USER', 'CLUSTER', 'EXPIRES-IN', 'STORE'] as const

/** The table for `status`, ending in a newline; a short sentence instead when there are no sessions. */
export function renderStatusTable(rows: readonly StatusSource[], options: StatusOptions & {timeZone?: string}): string {
  if (rows.length === 0) return 'No sessions.\n'
  const cells = rows.map((row) => {
    const status = sessionStatus(row, options)
    return [serverLabel(status.server), status.realm, status.username, status.clusterName ?? '-', expiresIn(status, options.now, options.timeZone), status.store].map((cell) => forTerminal(cell, {lineBreaks: false}))
  })
  const table = [[...HEADERS], ...cells]
  const widths = HEADERS.map((_, column) => Math.max(...table.map((line) => displayWidth(line[column] ?? ''))))
  return table
    .map((line) =>
      line
        // Pad every column but the last, so no line ends in spaces.
        .map((cell, column) => (column === line.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - displayWidth(cell))))
        .join('  '),
    )
    .map((line) => `${line}\n`)
    .join('') + apiTokenLines(rows, options)
}

/** One line per stored API token (never its secret), below the table: a token outlives the ticket beside it. */
function apiTokenLines(rows: readonly StatusSource[], options: StatusOptions): string {
  return rows
    .map((row) => sessionStatus(row, options).apiToken)
    .filter((token) => token !== undefined)
    .map((token) =>
      forTerminal(`API token ${token.fullTokenId}${token.privsep ? ' (privsep)' : ''}: ${token.secondsLeft > 0 ? `expires in ${formatDuration(token.secondsLeft)}` : `expired ${formatDuration(-token.secondsLeft)} ago`}`, {lineBreaks: false}) + '\n',
    )
    .join('')
}

/** Time left, then the local time it ends (people compare it with their clock): `1h 58m, until 23:04 (+01:00)`. */
function expiresIn(status: ReturnType<typeof sessionStatus>, now: Date, timeZone: string | undefined): string {
  if (status.secondsLeft > 0 && !status.valid) return 'not yet valid (clock skew?)'
  if (!status.valid) return `expired ${formatDuration(-status.secondsLeft)} ago`
  const until = `until ${formatLocalTime(new Date(status.expiresAt), now, timeZone)}`
  return status.renewalDue ? `${formatDuration(status.secondsLeft)} (renewal due), ${until}` : `${formatDuration(status.secondsLeft)}, ${until}`
}

/** `https://pve.example.com:8006` → `pve.example.com:8006`: the scheme is almost always https and costs width. */
function serverLabel(server: string): string {
  return server.startsWith('https://') ? server.slice('https://'.length).replace(/\/+$/, '') : server
}

/** Columns a string takes in a terminal, counting code points (wide CJK characters are not special-cased). */
function displayWidth(text: string): number {
  return [...text].length
}
