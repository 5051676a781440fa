/**
 * sessionVariables: the exact names each consumer reads (checked against each consumer's source, see
 * docs/output-formats.md), the values they get, the notes and the API-token warnings.
 */
import {describe, expect, test} from '@jest/globals'
import {InvalidInputError} from '../src/errors.js'
import {
  competingCredentialWarnings,
  CONSUMERS,
  EXEC_MARKER,
  isInsideExec,
  parseConsumer,
  sessionVariables,
  type Consumer,
} from '../src/format/environment.js'

const TICKET = "PVE:o'brien@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1=="
const SESSION = {
  server: 'https://pve.example.com:8006',
  username: "o'brien@cli",
  ticket: TICKET,
  csrfToken: '6650A1B2:Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1',
  // 0x6650A1B2 = 2024-05-24T14:18:26Z, the ticket's own issue time
  issuedAt: '2024-05-24T14:18:26.000Z',
}

const names = (consumer?: Consumer | Consumer[], insecure = false): string[] =>
  sessionVariables(SESSION, {...(consumer === undefined ? {} : {consumer}), insecure}).variables.map(([name]) => name)

const asObject = (consumer: Consumer): Record<string, string> => Object.fromEntries(sessionVariables(SESSION, {consumer}).variables)

describe('the default (pve-login env without --for)', () => {
  test('is bpg\'s three variables plus pve-login\'s own, in this order', () => {
    expect(sessionVariables(SESSION).variables).toEqual([
      ['PROXMOX_VE_ENDPOINT', 'https://pve.example.com:8006'],
      ['PROXMOX_VE_AUTH_TICKET', TICKET],
      ['PROXMOX_VE_CSRF_PREVENTION_TOKEN', SESSION.csrfToken],
      ['PVE_LOGIN_USERNAME', "o'brien@cli"],
      ['PVE_LOGIN_EXPIRES_AT', '2024-05-24T16:18:26Z'],
    ])
    expect(sessionVariables(SESSION).notes).toEqual([])
  })

  test('the endpoint has no /api2/json and no trailing slash', () => {
    const {variables} = sessionVariables({...SESSION, server: 'https://pve.example.com:8006/'})
    expect(variables[0]).toEqual(['PROXMOX_VE_ENDPOINT', 'https://pve.example.com:8006'])
  })
})

describe('presets: each consumer\'s own names', () => {
  test('bpg: PROXMOX_VE_ENDPOINT, PROXMOX_VE_AUTH_TICKET, PROXMOX_VE_CSRF_PREVENTION_TOKEN', () => {
    expect(asObject('bpg')).toEqual({
      PROXMOX_VE_ENDPOINT: 'https://pve.example.com:8006',
      PROXMOX_VE_AUTH_TICKET: TICKET,
      PROXMOX_VE_CSRF_PREVENTION_TOKEN: SESSION.csrfToken,
    })
  })

  test('telmate: PM_API_URL with /api2/json, PM_USER, PM_PASS = the ticket', () => {
    expect(asObject('telmate')).toEqual({PM_API_URL: 'https://pve.example.com:8006/api2/json', PM_USER: "o'brien@cli", PM_PASS: TICKET})
  })

  test('packer: PROXMOX_URL with /api2/json, PROXMOX_USERNAME, PROXMOX_PASSWORD = the ticket', () => {
    expect(asObject('packer')).toEqual({PROXMOX_URL: 'https://pve.example.com:8006/api2/json', PROXMOX_USERNAME: "o'brien@cli", PROXMOX_PASSWORD: TICKET})
  })

  test('ansible (community.proxmox): PROXMOX_HOST is the host name only, PROXMOX_PORT, PROXMOX_USER, PROXMOX_PASSWORD = the ticket', () => {
    expect(asObject('ansible')).toEqual({PROXMOX_HOST: 'pve.example.com', PROXMOX_PORT: '8006', PROXMOX_USER: "o'brien@cli", PROXMOX_PASSWORD: TICKET})
  })

  test('proxmoxer reads no variables: it gets the ansible-style four, for a script to pass to ProxmoxAPI', () => {
    expect(asObject('proxmoxer')).toEqual(asObject('ansible'))
    expect(sessionVariables(SESSION, {consumer: 'proxmoxer'}).notes.join('\n')).toMatch(/ProxmoxAPI\(os\.environ\['PROXMOX_HOST'\], port=int\(os\.environ\['PROXMOX_PORT'\]\), user=.*password=/)
  })

  test('the port is spelled out even when the URL leaves it implicit (proxmoxer would assume 8006)', () => {
    const variables = Object.fromEntries(sessionVariables({...SESSION, server: 'https://pve.example.com'}, {consumer: 'ansible'}).variables)
    expect(variables['PROXMOX_PORT']).toBe('443')
    expect(variables['PROXMOX_HOST']).toBe('pve.example.com')
  })

  test('an IPv6 server keeps its brackets in PROXMOX_HOST and the URLs', () => {
    const variables = Object.fromEntries(sessionVariables({...SESSION, server: 'https://[2001:db8::1]:8006'}, {consumer: 'all'}).variables)
    expect(variables['PROXMOX_HOST']).toBe('[2001:db8::1]')
    expect(variables['PROXMOX_PORT']).toBe('8006')
    expect(variables['PM_API_URL']).toBe('https://[2001:db8::1]:8006/api2/json')
    expect(variables['PROXMOX_VE_ENDPOINT']).toBe('https://[2001:db8::1]:8006')
  })

  test('all: the union of every preset, in preset order, each name once', () => {
    expect(names('all')).toEqual([
      'PROXMOX_VE_ENDPOINT',
      'PROXMOX_VE_AUTH_TICKET',
      'PROXMOX_VE_CSRF_PREVENTION_TOKEN',
      'PVE_LOGIN_USERNAME',
      'PVE_LOGIN_EXPIRES_AT',
      'PM_API_URL',
      'PM_USER',
      'PM_PASS',
      'PROXMOX_URL',
      'PROXMOX_USERNAME',
      'PROXMOX_PASSWORD',
      'PROXMOX_HOST',
      'PROXMOX_PORT',
      'PROXMOX_USER',
    ])
  })

  test('several consumers merge without duplicates, in the order given', () => {
    expect(names(['telmate', 'bpg', 'telmate'])).toEqual(['PM_API_URL', 'PM_USER', 'PM_PASS', 'PROXMOX_VE_ENDPOINT', 'PROXMOX_VE_AUTH_TICKET', 'PROXMOX_VE_CSRF_PREVENTION_TOKEN'])
    expect(names(['packer', 'ansible'])).toEqual(['PROXMOX_URL', 'PROXMOX_USERNAME', 'PROXMOX_PASSWORD', 'PROXMOX_HOST', 'PROXMOX_PORT', 'PROXMOX_USER'])
  })

  test('insecure adds each consumer\'s own TLS switch, and only when asked', () => {
    for (const consumer of CONSUMERS) {
      expect(names(consumer).filter((name) => /INSECURE|VALIDATE_CERTS/.test(name))).toEqual([])
    }
    expect(Object.fromEntries(sessionVariables(SESSION, {consumer: 'all', insecure: true}).variables)).toMatchObject({
      PROXMOX_VE_INSECURE: 'true',
      PM_TLS_INSECURE: 'true',
      PROXMOX_VALIDATE_CERTS: 'false',
    })
    // Packer has no variable for it (only the template key insecure_skip_tls_verify).
    expect(names('packer', true)).toEqual(['PROXMOX_URL', 'PROXMOX_USERNAME', 'PROXMOX_PASSWORD'])
  })
})

describe('notes', () => {
  test('consumers that get the ticket as a password are told that their ticket and the cached one diverge', () => {
    for (const consumer of ['telmate', 'packer', 'ansible', 'proxmoxer'] as const) {
      const [note] = sessionVariables(SESSION, {consumer}).notes
      expect(note).toContain(`${consumer} gets the ticket as a password`)
      expect(note).toContain('those tools renew the ticket on their own, so their ticket and the cached one diverge')
    }
    expect(sessionVariables(SESSION, {consumer: 'all'}).notes[0]).toMatch(/^telmate, packer, ansible, proxmoxer get the ticket as a password/)
  })

  test('bpg and the default get no notes', () => {
    expect(sessionVariables(SESSION, {consumer: 'bpg'}).notes).toEqual([])
    expect(sessionVariables(SESSION, {consumer: 'pve-login'}).notes).toEqual([])
  })
})

describe('competingCredentialWarnings', () => {
  test('warns when PROXMOX_VE_API_TOKEN is set, because bpg prefers it over the ticket', () => {
    const warnings = competingCredentialWarnings({PROXMOX_VE_API_TOKEN: 'terraform@pve!provider=x'})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^PROXMOX_VE_API_TOKEN is set: The bpg Terraform provider uses an API token in preference to the ticket/)
    expect(warnings[0]).not.toContain('terraform@pve!provider=x')
    expect(competingCredentialWarnings({PM_VE_API_TOKEN: 'x'}, {consumer: 'bpg'})[0]).toMatch(/^PM_VE_API_TOKEN is set/)
  })

  test('is silent without a token, with an empty one, or for a consumer that does not read it', () => {
    expect(competingCredentialWarnings({})).toEqual([])
    expect(competingCredentialWarnings({PROXMOX_VE_API_TOKEN: ''})).toEqual([])
    expect(competingCredentialWarnings({PROXMOX_VE_API_TOKEN: 'x'}, {consumer: 'telmate'})).toEqual([])
    // community.proxmox uses the password whenever one is set.
    expect(competingCredentialWarnings({PROXMOX_TOKEN_ID: 'x', PROXMOX_TOKEN_SECRET: 'y'}, {consumer: 'ansible'})).toEqual([])
  })

  test('says "may" where the consumer\'s precedence is not known', () => {
    expect(competingCredentialWarnings({PM_API_TOKEN_ID: 'x'}, {consumer: 'telmate'})[0]).toMatch(/may use the API token/)
    expect(competingCredentialWarnings({PROXMOX_TOKEN: 'x'}, {consumer: 'packer'})[0]).toMatch(/^PROXMOX_TOKEN is set: Packer may use/)
  })

  test('all warns once per variable', () => {
    expect(competingCredentialWarnings({PROXMOX_VE_API_TOKEN: 'x', PM_API_TOKEN_SECRET: 'y'}, {consumer: 'all'}).map((warning) => warning.split(' ')[0])).toEqual([
      'PROXMOX_VE_API_TOKEN',
      'PM_API_TOKEN_SECRET',
    ])
  })
})

describe('exec marker and parsing', () => {
  test('PVE_LOGIN_EXEC=1 marks a command run by pve-login exec', () => {
    expect(EXEC_MARKER).toEqual({name: 'PVE_LOGIN_EXEC', value: '1'})
    expect(isInsideExec({PVE_LOGIN_EXEC: '1'})).toBe(true)
    expect(isInsideExec({PVE_LOGIN_EXEC: '0'})).toBe(false)
    expect(isInsideExec({})).toBe(false)
  })

  test('parseConsumer accepts the seven names and lists them when refusing', () => {
    for (const consumer of CONSUMERS) expect(parseConsumer(consumer)).toBe(consumer)
    expect(() => parseConsumer('terraform')).toThrow(expect.objectContaining({hint: 'Choose one of: pve-login, bpg, telmate, packer, ansible, proxmoxer, all.'}))
    expect(() => parseConsumer('terraform')).toThrow(InvalidInputError)
  })
})
