/**
 * Durations as people type and read them: `90m`, `1h30m`, `3600` in; `1h 23m` out. The CLI's `--min-valid`
 * (and similar flags) parse with parseDuration; `status` prints with formatDuration. Moments (a ticket's expiry) for
 * people: formatMoment, in local time with the offset and relative to now.
 */
import {InvalidInputError} from '../errors.js'

const UNIT_SECONDS = {d: 86_400, h: 3600, m: 60, s: 1} as const
type Unit = keyof typeof UNIT_SECONDS

/** Units in the order they must appear, so `30m1h` (a likely typo) is refused rather than guessed at. */
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's']

const DURATION_HINT = 'Give whole seconds (3600) or a number with units d, h, m, s, largest first: 90m, 1h30m, 2h, 45s.'

/**
 * Seconds in `text`: a bare whole number is seconds; otherwise whole numbers with units `d h m s`, largest unit
 * first, each at most once, optionally separated by spaces (`1h30m`, `1h 30m`). Throws InvalidInputError otherwise.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return checkedSeconds(Number(trimmed), text)

  const parts = [...trimmed.matchAll(/(\d+)\s*([a-zA-Z]+)\s*/g)]
  const consumed = parts.map((part) => part[0]).join('')
  if (parts.length === 0 || consumed !== trimmed) throw invalidDuration(text)

  let seconds = 0
  let previous = -1
  for (const [, amount, unitText] of parts) {
    const unit = (unitText ?? '').toLowerCase()
    const position = UNIT_ORDER.indexOf(unit as Unit)
    // Refusing `ms`, `min` or a repeated/misordered unit beats guessing: a wrong --min-valid is silent trouble.
    if (position === -1 || position <= previous) throw invalidDuration(text)
    previous = position
    seconds += Number(amount) * UNIT_SECONDS[unit as Unit]
  }
  return checkedSeconds(seconds, text)
}

function checkedSeconds(seconds: number, text: string): number {
  if (!Number.isSafeInteger(seconds)) throw invalidDuration(text)
  return seconds
}

function invalidDuration(text: string): InvalidInputError {
  return new InvalidInputError(`"${text}" is not a duration.`, {hint: DURATION_HINT})
}

/**
 * `seconds` for people: the largest unit and the one below it, rounded toward zero so time left is never overstated
 * (`0s`, `45s`, `5m 30s`, `1h 23m`, `2h`, `3d 4h`). Negative input keeps its sign (`-5m`).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new InvalidInputError(`${seconds} is not a number of seconds.`)
  const whole = Math.trunc(seconds)
  const sign = whole < 0 ? '-' : ''
  const total = Math.abs(whole)
  const largest = UNIT_ORDER.findIndex((unit) => total >= UNIT_SECONDS[unit])
  if (largest === -1) return '0s'
  const parts: string[] = []
  let rest = total
  // The largest unit and the one below it; a zero second part is dropped (`2h`, not `2h 0m`).
  for (const unit of UNIT_ORDER.slice(largest, largest + 2)) {
    const amount = Math.floor(rest / UNIT_SECONDS[unit])
    rest -= amount * UNIT_SECONDS[unit]
    if (amount > 0) parts.push(`${amount}${unit}`)
  }
  return `${sign}${parts.join(' ')}`
}

/**
 * A moment for people, in their local time with the offset it was read in, and the date only when it is not today:
 * `23:04 (+01:00)`, `2026-12-02 01:04 (+01:00)`. Scripts get ISO 8601 UTC (`--json`, `env`), never this.
 * `timeZone` (an IANA name) is for tests; by default the system's zone (TZ) applies.
 */
export function formatLocalTime(date: Date, now: Date = new Date(), timeZone?: string): string {
  const moment = localParts(date, timeZone)
  const today = localParts(now, timeZone)
  const day = moment.date === today.date ? '' : `${moment.date} `
  return `${day}${moment.time} (${moment.offset})`
}

function localParts(date: Date, timeZone: string | undefined): {date: string; time: string; offset: string} {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(date)
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((entry) => entry.type === type)?.value ?? ''
  // longOffset reads `GMT+01:00`, or plain `GMT` for UTC itself.
  const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00'
  return {date: `${part('year')}-${part('month')}-${part('day')}`, time: `${part('hour')}:${part('minute')}`, offset}
}

/**
 * The zone a person asked for with TZ, when it is an IANA name Intl knows (`Europe/Berlin`); otherwise undefined,
 * which means the system's zone. Commands read TZ from their IO's environment, so an in-process run can choose it.
 */
export function timeZoneOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const zone = env['TZ']?.trim()
  if (!zone || zone.startsWith(':')) return undefined
  try {
    // Throws a RangeError for a zone Intl does not know.
    new Intl.DateTimeFormat('en-US', {timeZone: zone})
    return zone
  } catch {
    return undefined
  }
}

/** How far `date` is from `now`, in formatDuration's words: `in 2h`, `5m 30s ago`, `now`. */
export function formatRelativeTime(date: Date, now: Date = new Date()): string {
  const seconds = (date.getTime() - now.getTime()) / 1000
  if (Math.abs(seconds) < 1) return 'now'
  return seconds > 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`
}

/** Both: `23:04 (+01:00), in 2h`, as login, refresh and logout say until when a ticket is valid. */
export function formatMoment(date: Date, now: Date = new Date(), timeZone?: string): string {
  return `${formatLocalTime(date, now, timeZone)}, ${formatRelativeTime(date, now)}`
}
