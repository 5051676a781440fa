/** Words for people after `status`, `logout` and `refresh`, and the exit code `status` gives scripts. Pure. */
import {formatMoment} from '../format/duration.js'
import type {SessionStatus} from '../format/session-json.js'
import {detectShell, unsetVariables} from '../format/shell.js'
import type {SessionKey, SessionRecord} from '../session/session-record.js'
import {isSelectedSession} from '../session/session-list.js'
import {ticketExpiresAt} from '../pve/ticket.js'
import {forTerminal} from '../format/terminal-text.js'
import {EXIT} from './exit-codes.js'

/**
 * `status` exits 0 only when the selected server and realm have a usable session, so `pve-login status >/dev/null
 * || pve-login` works in a script. With nothing selected, any usable session counts.
 */
export function statusExitCode(statuses: readonly SessionStatus[], selected: SessionKey | undefined): number {
  const usable = statuses.filter((status) => status.valid && (selected === undefined || isSelectedSession(status, selected)))
  return usable.length > 0 ? EXIT.ok : EXIT.loginRequired
}

/** What to tell a person when `status` exits 3. */
export function statusLoginHint(selected: SessionKey | undefined): string {
  if (!selected) return 'No valid session. Log in with: pve-login --server HOST --realm REALM'
  return `No valid session for realm ${selected.realm} on ${selected.server}. Log in with: pve-login --server ${selected.server} --realm ${selected.realm}`
}

/** `logout`: which sessions went, and the plain truth that their tickets still work on the server until they expire. */
export function logoutReport(removed: readonly SessionRecord[], target: {all: boolean; selected?: SessionKey}, now: Date = new Date(), timeZone?: string): string {
  if (removed.length === 0) {
    return target.all || !target.selected
      ? 'No stored sessions to remove.\n'
      : `No stored session for realm ${target.selected.realm} on ${target.selected.server}.\n`
  }
  const lines = removed.map((record) => {
    const expiresAt = ticketExpiresAt(new Date(record.issuedAt), record.clockOffsetSeconds ?? 0)
    const left = (expiresAt.getTime() - now.getTime()) / 1000
    const validity = left > 0 ? `its ticket stays valid until ${formatMoment(expiresAt, now, timeZone)}` : 'its ticket has already expired'
    return `Removed the session of ${forTerminal(record.username, {lineBreaks: false})} on ${record.server} (realm ${record.realm}); ${validity}.`
  })
  const anyStillValid = removed.some((record) => ticketExpiresAt(new Date(record.issuedAt), record.clockOffsetSeconds ?? 0).getTime() > now.getTime())
  if (anyStillValid) {
    lines.push(
      'PVE cannot revoke a ticket: logout only removes the local copy. Any copy already handed out (a shell that ran',
      '`eval "$(pve-login env)"`, a running `pve-login exec`, a tool that took the ticket) keeps working until that time.',
    )
  }
  return lines.map((line) => `${line}\n`).join('')
}

/** The variables `pve-login env` sets by default; a logout hint names those still set in the caller's environment. */
const DEFAULT_ENV_NAMES = ['PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN', 'PVE_LOGIN_USERNAME', 'PVE_LOGIN_EXPIRES_AT']

/**
 * When the caller's environment still carries a ticket from `eval "$(pve-login env)"`, how to remove it: pve-login
 * runs as a child of the shell and cannot change the shell's variables itself. Only the default names: the
 * password-style variables of other presets (PM_PASS, PROXMOX_PASSWORD) may hold a real password the person set.
 */
export function leftoverVariablesHint(env: Readonly<Record<string, string | undefined>>, platform: string): string | undefined {
  if (!env['PROXMOX_VE_AUTH_TICKET']) return undefined
  const names = DEFAULT_ENV_NAMES.filter((name) => env[name] !== undefined)
  return `This shell still has ${names.join(', ')} set; pve-login cannot unset them for you:\n${unsetVariables(names, detectShell(env, platform))}`
}

/** `refresh`: what happened and until when the ticket is good now. */
export function refreshReport(record: SessionRecord, how: 'renewed' | 'login', now: Date = new Date(), timeZone?: string): string {
  const expiresAt = ticketExpiresAt(new Date(record.issuedAt), record.clockOffsetSeconds ?? 0)
  const what = how === 'renewed' ? 'Renewed the ticket' : 'Logged in (there was no ticket left to renew)'
  return `${what} of ${forTerminal(record.username, {lineBreaks: false})} on ${record.server}: valid until ${formatMoment(expiresAt, now, timeZone)}.\n`
}
