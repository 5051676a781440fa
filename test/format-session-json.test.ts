/**
 * `ticket --json` and `status --json`: their values, and their agreement with schemas/ticket.json and
 * schemas/status.json. The schemas are checked by a small validator written here for the keywords they use, so
 * the project needs no schema library; it refuses any keyword it does not know, so a schema edit cannot slip
 * past it unchecked.
 */
import {describe, expect, test} from '@jest/globals'
import {readFileSync} from 'node:fs'
import type {SessionRecord} from '../src/session/session-record.js'
import {formatTimestamp, renderJson, sessionStatus, statusJson, ticketJson, type StatusSource} from '../src/format/session-json.js'

type Schema = Record<string, unknown>

const loadSchema = (name: string): Schema => JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), 'utf8')) as Schema

const KNOWN_KEYWORDS = new Set(['$schema', '$id', 'title', 'description', 'type', 'required', 'additionalProperties', 'properties', 'items', 'pattern', 'minLength', 'format'])

/** Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms. */
function violations(schema: Schema, value: unknown, path = '$'): string[] {
  const unknown = Object.keys(schema).filter((keyword) => !KNOWN_KEYWORDS.has(keyword))
  if (unknown.length > 0) throw new Error(`the test validator does not know ${unknown.join(', ')} (at ${path})`)
  const problems: string[] = []
  const types = schema['type'] === undefined ? undefined : ([] as string[]).concat(schema['type'] as string | string[])
  if (types && !types.some((type) => hasType(value, type))) return [`${path}: ${JSON.stringify(value)} is not ${types.join(' or ')}`]
  if (typeof value === 'string') {
    if (typeof schema['minLength'] === 'number' && [...value].length < schema['minLength']) problems.push(`${path}: shorter than ${schema['minLength']}`)
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) problems.push(`${path}: does not match ${schema['pattern']}`)
    if (schema['format'] === 'date-time' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) problems.push(`${path}: not an RFC 3339 date-time`)
    if (schema['format'] === 'date-time' && Number.isNaN(Date.parse(value))) problems.push(`${path}: not a real date`)
  }
  if (Array.isArray(value) && schema['items']) {
    value.forEach((item, index) => problems.push(...violations(schema['items'] as Schema, item, `${path}[${index}]`)))
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>
    for (const name of (schema['required'] ?? []) as string[]) if (!(name in value)) problems.push(`${path}: missing ${name}`)
    for (const [name, item] of Object.entries(value)) {
      if (properties[name]) problems.push(...violations(properties[name], item, `${path}.${name}`))
      else if (schema['additionalProperties'] === false) problems.push(`${path}: unexpected ${name}`)
    }
  }
  return problems
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'integer':
      return Number.isInteger(value)
    case 'array':
      return Array.isArray(value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    default:
      return typeof value === type
  }
}

const ISSUED = new Date(0x6650a1b2 * 1000) // 2024-05-24T14:18:26Z
const RECORD: SessionRecord = {
  server: 'https://pve.example.com:8006',
  realm: 'cli',
  username: "o'brien@cli",
  ticket: "PVE:o'brien@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1==",
  csrfToken: '6650A1B2:Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1',
  clusterName: 'lab',
  issuedAt: ISSUED.toISOString(),
  loginAt: ISSUED.toISOString(),
  tlsPin: 'AA:BB',
}
const at = (secondsAfterIssue: number): Date => new Date(ISSUED.getTime() + secondsAfterIssue * 1000)

describe('ticket --json', () => {
  test('has exactly the documented fields, with the secret, and times in whole UTC seconds', () => {
    expect(ticketJson(RECORD)).toEqual({
      endpoint: 'https://pve.example.com:8006',
      username: "o'brien@cli",
      ticket: RECORD.ticket,
      csrfToken: RECORD.csrfToken,
      clusterName: 'lab',
      issuedAt: '2024-05-24T14:18:26Z',
      expiresAt: '2024-05-24T16:18:26Z',
    })
  })

  test('a node outside a cluster has clusterName null, never a missing field', () => {
    const {clusterName: _dropped, ...single} = RECORD
    expect(ticketJson(single)).toHaveProperty('clusterName', null)
  })

  test('conforms to schemas/ticket.json, with and without a cluster', () => {
    const schema = loadSchema('ticket.json')
    const {clusterName: _dropped, ...single} = RECORD
    expect(violations(schema, ticketJson(RECORD))).toEqual([])
    expect(violations(schema, ticketJson(single))).toEqual([])
    expect(violations(schema, JSON.parse(renderJson(ticketJson(RECORD))))).toEqual([])
  })

  test('renders as indented JSON with a final newline', () => {
    const text = renderJson(ticketJson(RECORD))
    expect(text.startsWith('{\n  "endpoint": ')).toBe(true)
    expect(text.endsWith('}\n')).toBe(true)
  })
})

describe('status --json', () => {
  const source: StatusSource = {record: RECORD, store: 'keychain'}

  test('a fresh ticket: valid, not due, seconds left = lifetime minus the 60 s margin', () => {
    expect(sessionStatus(source, {now: at(10)})).toEqual({
      server: 'https://pve.example.com:8006',
      realm: 'cli',
      username: "o'brien@cli",
      clusterName: 'lab',
      issuedAt: '2024-05-24T14:18:26Z',
      expiresAt: '2024-05-24T16:18:26Z',
      secondsLeft: 7200 - 60 - 10,
      renewalDue: false,
      store: 'keychain',
      valid: true,
    })
  })

  test('never carries the ticket or the CSRF token', () => {
    const text = renderJson(statusJson([source], {now: at(10)}))
    expect(text).not.toContain('rsKo+Apx')
    expect(text).not.toContain(RECORD.csrfToken)
    expect(text).not.toMatch(/ticket|csrf|tlsPin|loginAt/i)
  })

  test('renewal is due once fewer usable seconds than the threshold remain (default 1800)', () => {
    expect(sessionStatus(source, {now: at(7200 - 60 - 1800)}).renewalDue).toBe(false)
    expect(sessionStatus(source, {now: at(7200 - 60 - 1799)}).renewalDue).toBe(true)
    expect(sessionStatus(source, {now: at(4000), renewBeforeSeconds: 3600}).renewalDue).toBe(true)
    expect(sessionStatus(source, {now: at(4000), renewBeforeSeconds: 600}).renewalDue).toBe(false)
  })

  test('past the safety margin: not valid, not due (an expired ticket cannot renew itself), negative seconds', () => {
    const status = sessionStatus(source, {now: at(7200 + 300)})
    expect(status).toMatchObject({valid: false, renewalDue: false, secondsLeft: -360})
    expect(sessionStatus(source, {now: at(7200 - 60)})).toMatchObject({valid: false, secondsLeft: 0})
  })

  test('an issue time beyond PVE\'s 5-minute grace in the future (clock skew) is not valid', () => {
    expect(sessionStatus(source, {now: at(-301)})).toMatchObject({valid: false, renewalDue: false})
    expect(sessionStatus(source, {now: at(-299)}).valid).toBe(true)
  })

  test('seconds left are whole seconds, rounded down', () => {
    expect(sessionStatus(source, {now: new Date(at(10).getTime() + 400)}).secondsLeft).toBe(7200 - 60 - 11)
  })

  test('conforms to schemas/status.json in every state, and an empty list does too', () => {
    const schema = loadSchema('status.json')
    const {clusterName: _dropped, ...single} = RECORD
    const sources: StatusSource[] = [source, {record: single, store: 'file'}, {record: {...RECORD, realm: 'other'}, store: 'none'}]
    for (const now of [at(10), at(6000), at(9000), at(-1000)]) {
      expect(violations(schema, JSON.parse(renderJson(statusJson(sources, {now}))))).toEqual([])
    }
    expect(violations(schema, statusJson([], {now: at(0)}))).toEqual([])
  })
})

describe('the schema check itself', () => {
  test('catches missing, extra and mistyped fields and bad formats', () => {
    const ticket = loadSchema('ticket.json')
    const good = ticketJson(RECORD)
    const {csrfToken: _missing, ...withoutCsrf} = good
    expect(violations(ticket, withoutCsrf)).toEqual(['$: missing csrfToken'])
    expect(violations(ticket, {...good, source: 'cache'})).toEqual(['$: unexpected source'])
    expect(violations(ticket, {...good, clusterName: 3})).toEqual(['$.clusterName: 3 is not string or null'])
    expect(violations(ticket, {...good, expiresAt: '2024-05-24T16:18:26.000Z'})).toHaveLength(1)
    expect(violations(ticket, {...good, endpoint: 'https://pve.example.com:8006/'})).toHaveLength(1)
    expect(violations(loadSchema('status.json'), [{...sessionStatus({record: RECORD, store: 'file'}, {now: at(0)}), secondsLeft: 1.5}])).toEqual([
      '$[0].secondsLeft: 1.5 is not integer',
    ])
  })

  const API_TOKEN = {
    fullTokenId: 'alice@entra-cli!pve-login-3f9a1c2e',
    tokenId: 'pve-login-3f9a1c2e',
    secret: '5a1b2c3d-0000-4000-8000-000000000001',
    expiresAt: '2026-12-02T05:00:00.000Z',
    privsep: false,
  }

  test('the schemas list exactly the fields the TypeScript shapes produce', () => {
    const ticket = loadSchema('ticket.json')
    const status = loadSchema('status.json')
    const statusItem = status['items'] as Schema
    expect(Object.keys(ticket['properties'] as object).sort()).toEqual(Object.keys(ticketJson(RECORD)).sort())
    expect((ticket['required'] as string[]).slice().sort()).toEqual(Object.keys(ticketJson(RECORD)).sort())
    const statusKeys = Object.keys(sessionStatus({record: RECORD, store: 'file'}, {now: at(0)})).sort()
    // apiToken is the one optional field: present only for a session with a stored API token.
    const withToken = Object.keys(sessionStatus({record: {...RECORD, apiToken: API_TOKEN}, store: 'file'}, {now: at(0)})).sort()
    expect(Object.keys(statusItem['properties'] as object).sort()).toEqual(withToken)
    expect((statusItem['required'] as string[]).slice().sort()).toEqual(statusKeys)
  })

  test('a stored API token shows in status --json without its secret, and conforms to the schema', () => {
    const status = sessionStatus({record: {...RECORD, apiToken: API_TOKEN}, store: 'file'}, {now: at(0)})
    expect(status.apiToken).toEqual({fullTokenId: API_TOKEN.fullTokenId, expiresAt: '2026-12-02T05:00:00Z', secondsLeft: expect.any(Number), privsep: false})
    expect(JSON.stringify(status)).not.toContain(API_TOKEN.secret)
    expect(violations(loadSchema('status.json'), [status])).toEqual([])
  })
})

describe('formatTimestamp', () => {
  test('UTC, whole seconds, Z suffix', () => {
    expect(formatTimestamp(new Date('2026-11-23T17:00:00.999+01:00'))).toBe('2026-11-23T16:00:00Z')
  })
})
