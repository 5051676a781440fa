import {describe, expect, test} from '@jest/globals'
import {InvalidInputError} from '../src/errors.js'
import {normalizeServer} from '../src/pve/server-url.js'

describe('normalizeServer', () => {
  test.each([
    ['pve', 'https://pve:8006'],
    ['  pve.example.com ', 'https://pve.example.com:8006'],
    ['PVE.Example.COM', 'https://pve.example.com:8006'],
    ['10.0.0.5', 'https://10.0.0.5:8006'],
    ['10.0.0.5:8443', 'https://10.0.0.5:8443'],
    ['pve.example.com:443', 'https://pve.example.com'],
    ['::1', 'https://[::1]:8006'],
    ['fe80::1', 'https://[fe80::1]:8006'],
    ['[fe80::1]:9000', 'https://[fe80::1]:9000'],
    ['https://pve.example.com', 'https://pve.example.com'],
    ['https://pve.example.com:8006', 'https://pve.example.com:8006'],
    ['https://pve.example.com:8006/', 'https://pve.example.com:8006'],
    ['https://pve.example.com:8006/api2/json', 'https://pve.example.com:8006'],
    ['https://pve.example.com:8006/#v1:0:18:4', 'https://pve.example.com:8006'],
    ['HTTPS://pve.example.com:8006', 'https://pve.example.com:8006'],
    ['bücher.example', 'https://xn--bcher-kva.example:8006'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeServer(input)).toBe(expected)
  })

  test.each([
    ['http://pve.example.com:8006', /does not use https/],
    ['ftp://pve.example.com', /does not use https/],
    ['', /No PVE server/],
    ['   ', /No PVE server/],
    ['pve example', /not a PVE server address/],
    ['pve:abc', /not a PVE server address/],
    ['999.1.1.1', /not a PVE server address/],
    ['https://', /not a PVE server address/],
    ['pve.example.com/path', /not a PVE server address/],
    ['https://pve.example.com/pve', /has a path/],
    ['-pve', /not a PVE server address/],
  ])('rejects %j', (input, message) => {
    const attempt = () => normalizeServer(input)
    expect(attempt).toThrow(InvalidInputError)
    expect(attempt).toThrow(message)
    try {
      attempt()
    } catch (error) {
      expect((error as InvalidInputError).hint).toMatch(/pve\.example\.com/)
    }
  })

  test('never repeats credentials in the error', () => {
    let caught: unknown
    try {
      normalizeServer('https://root:s3cret@pve.example.com')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InvalidInputError)
    expect((caught as Error).message).not.toContain('s3cret')
    expect((caught as InvalidInputError).hint).not.toContain('s3cret')
  })
})
