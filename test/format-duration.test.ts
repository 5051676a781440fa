/** parseDuration (the CLI's --min-valid and friends) and formatDuration (status, messages). */
import {describe, expect, test} from '@jest/globals'
import {InvalidInputError} from '../src/errors.js'
import {formatDuration, formatLocalTime, formatMoment, formatRelativeTime, parseDuration, timeZoneOf} from '../src/format/duration.js'

describe('parseDuration', () => {
  test.each([
    ['3600', 3600],
    ['0', 0],
    ['90m', 5400],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    ['45s', 45],
    ['1d', 86_400],
    ['1d2h3m4s', 93_784],
    ['  15m ', 900],
    ['2H', 7200],
  ])('%p is %p seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  test.each(['', ' ', '1.5h', '-5m', '+5m', '5 minutes', '10ms', '1h30', '30m1h', '1h1h', 'h', '1x', '9'.repeat(20)])('%p is refused with a hint', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidInputError)
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({hint: expect.stringContaining('90m, 1h30m')}))
  })
})

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [0.9, '0s'],
    [45, '45s'],
    [59.99, '59s'],
    [60, '1m'],
    [330, '5m 30s'],
    [3600, '1h'],
    [4980, '1h 23m'],
    [4999, '1h 23m'],
    [7200, '2h'],
    [86_400, '1d'],
    [86_400 + 3600 * 4 + 300, '1d 4h'],
    [-300, '-5m'],
  ])('%p seconds is %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })

  test('round-trips through parseDuration where no unit is dropped', () => {
    for (const seconds of [0, 45, 330, 4980, 7200, 93_600]) expect(parseDuration(formatDuration(seconds))).toBe(seconds)
  })

  test('refuses NaN and infinity', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(InvalidInputError)
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(InvalidInputError)
  })
})

describe('formatLocalTime, formatRelativeTime, formatMoment (times for people)', () => {
  test.each([
    ['Europe/Berlin', '2026-12-01T22:04:11Z', '2026-12-01T20:04:11Z', '23:04 (+01:00)'],
    ['Europe/Berlin', '2026-07-01T22:04:11Z', '2026-07-01T20:04:11Z', '2026-07-02 00:04 (+02:00)'],
    ['Asia/Kolkata', '2026-12-01T22:04:11Z', '2026-12-01T18:00:00Z', '2026-12-02 03:34 (+05:30)'],
    ['Asia/Kolkata', '2026-12-01T22:04:11Z', '2026-12-01T20:04:11Z', '03:34 (+05:30)'],
    ['America/New_York', '2026-12-01T22:04:11Z', '2026-12-01T20:04:11Z', '17:04 (-05:00)'],
    ['UTC', '2026-12-01T22:04:59Z', '2026-12-01T20:04:11Z', '22:04 (+00:00)'],
  ])('in %s, %s read at %s is %p', (zone, at, now, expected) => {
    expect(formatLocalTime(new Date(at), new Date(now), zone)).toBe(expected)
  })

  test('the system zone by default', () => {
    const at = new Date('2026-12-01T22:04:11Z')
    expect(formatLocalTime(at, at)).toBe(formatLocalTime(at, at, Intl.DateTimeFormat().resolvedOptions().timeZone))
  })

  test.each([
    ['2026-12-01T22:04:11Z', 'in 2h'],
    ['2026-12-01T21:03:11Z', 'in 59m'],
    ['2026-12-01T20:04:11.500Z', 'now'],
    ['2026-12-01T19:59:11Z', '5m ago'],
  ])('%s is %p from 20:04:11', (at, expected) => {
    expect(formatRelativeTime(new Date(at), new Date('2026-12-01T20:04:11Z'))).toBe(expected)
  })

  test('formatMoment: local time with offset, then relative', () => {
    expect(formatMoment(new Date('2026-12-01T22:04:11Z'), new Date('2026-12-01T20:04:11Z'), 'Europe/Berlin')).toBe('23:04 (+01:00), in 2h')
  })
})

describe('timeZoneOf (TZ from the IO environment)', () => {
  test.each([
    [{TZ: 'Europe/Berlin'}, 'Europe/Berlin'],
    [{TZ: ' Asia/Kolkata '}, 'Asia/Kolkata'],
    [{TZ: ':/etc/localtime'}, undefined],
    [{TZ: 'Not/AZone'}, undefined],
    [{TZ: ''}, undefined],
    [{}, undefined],
  ])('%p → %p', (env, zone) => {
    expect(timeZoneOf(env)).toBe(zone)
  })
})
