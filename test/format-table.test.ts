/** renderStatusTable: the human `status` view. */
import {describe, expect, test} from '@jest/globals'
import type {SessionRecord} from '../src/session/session-record.js'
import {renderStatusTable} from '../src/format/table.js'

const NOW = new Date('2026-11-23T17:00:00Z')
/** A record whose ticket was issued `age` seconds before NOW. */
const record = (age: number, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  server: 'https://pve.example.com:8006',
  realm: 'entra-cli',
  username: 'alice@entra-cli',
  ticket: 'PVE:alice@entra-cli:6650A1B2::c2lnbmF0dXJl',
  csrfToken: '6650A1B2:dG9rZW4',
  clusterName: 'lab',
  issuedAt: new Date(NOW.getTime() - age * 1000).toISOString(),
  ...overrides,
})

describe('renderStatusTable', () => {
  // The jest run is in UTC (test/setup/time-zone.ts): the local times read +00:00.
  test('aligned columns, no trailing spaces, human expiry in every state', () => {
    const text = renderStatusTable(
      [
        // 7200 - 60 - 2140 = 5000 s usable
        {record: record(2140), store: 'keychain'},
        // 1500 s usable: under the default 1800 s renewal threshold
        {record: record(5640, {server: 'https://10.0.0.2:8006', realm: 'kc', username: 'bob@kc'}), store: 'file'},
        // unusable since 4440 s
        {record: record(11_580, {server: 'https://old.example.com', clusterName: undefined}), store: 'none'},
        // issued 400 s in the future: beyond PVE's 300 s grace
        {record: record(-400, {server: 'https://skewed.example.com:8006'}), store: 'file'},
      ],
      {now: NOW},
    )
    expect(text).toBe(
      [
        'SERVER                   REALM      USER             CLUSTER  EXPIRES-IN                               STORE',
        'pve.example.com:8006     entra-cli  alice@entra-cli  lab      1h 23m, until 18:24 (+00:00)             keychain',
        '10.0.0.2:8006            kc         bob@kc           lab      25m (renewal due), until 17:26 (+00:00)  file',
        'old.example.com          entra-cli  alice@entra-cli  -        expired 1h 14m ago                       none',
        'skewed.example.com:8006  entra-cli  alice@entra-cli  lab      not yet valid (clock skew?)              file',
        '',
      ].join('\n'),
    )
    expect(text.split('\n').some((line) => line.endsWith(' '))).toBe(false)
  })

  test('the renewal threshold follows the caller', () => {
    expect(renderStatusTable([{record: record(2140), store: 'file'}], {now: NOW, renewBeforeSeconds: 6000})).toContain('1h 23m (renewal due)')
  })

  test('server-provided text cannot send control sequences to the terminal', () => {
    const text = renderStatusTable([{record: record(0, {clusterName: 'evil\x1b]0;pwned\x07\x1b[2J'}), store: 'file'}], {now: NOW})
    expect(text).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J')
    // eslint-disable-next-line no-control-regex -- checking that none are left
    expect(text.replaceAll('\n', '')).not.toMatch(/[\x00-\x1f\x7f]/)
  })

  test('no sessions is a sentence, not an empty table', () => {
    expect(renderStatusTable([], {now: NOW})).toBe('No sessions.\n')
  })
})
