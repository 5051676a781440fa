/**
 * Durations as people type and read them: `90m`, `1h30m`, `3600` in; `1h 23m` out. The CLI's `--min-valid`
 * (and similar flags) parse with parseDuration; `status` prints with formatDuration.
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
