import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from '@jest/globals'
import {InvalidInputError} from '../src/errors.js'
import {normalizeFingerprint, resolveTlsTrust} from '../src/pve/tls.js'

const HEX = 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12'
const CANONICAL = HEX.toUpperCase().match(/../g)!.join(':')

describe('normalizeFingerprint', () => {
  test.each([
    ['plain lower-case hex', HEX],
    ['upper-case hex', HEX.toUpperCase()],
    ['colon-separated', CANONICAL],
    ['colon-separated lower case', CANONICAL.toLowerCase()],
    ['sha256: prefix', `sha256:${HEX}`],
    ['SHA256: prefix with colons', `SHA256:${CANONICAL}`],
    ['openssl x509 -fingerprint output', `sha256 Fingerprint=${CANONICAL}`],
    ['surrounding space', `  ${CANONICAL}\n`],
  ])('%s', (_name, input) => {
    expect(normalizeFingerprint(input)).toBe(CANONICAL)
  })

  test.each([
    ['too short', HEX.slice(2)],
    ['too long', `${HEX}00`],
    ['not hex', HEX.replace('a', 'g')],
    ['SHA-1 length', 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01'],
    ['empty', ''],
  ])('rejects %s', (_name, input) => {
    expect(() => normalizeFingerprint(input)).toThrow(InvalidInputError)
  })
})

describe('resolveTlsTrust', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

  test('defaults to system trust', () => {
    expect(resolveTlsTrust()).toEqual({mode: 'system'})
    expect(resolveTlsTrust({fingerprint: undefined, insecure: false})).toEqual({mode: 'system'})
  })

  test('a fingerprint pins, normalised', () => {
    expect(resolveTlsTrust({fingerprint: `sha256:${HEX}`})).toEqual({mode: 'pin', fingerprint: CANONICAL})
  })

  test('insecure accepts anything, but not together with a pin', () => {
    expect(resolveTlsTrust({insecure: true})).toEqual({mode: 'insecure'})
    expect(() => resolveTlsTrust({insecure: true, fingerprint: HEX})).toThrow(/contradict/)
  })

  test('reads a CA file and checks it holds a certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pve-login-tls-'))
    writeFileSync(join(dir, 'ca.pem'), pem)
    writeFileSync(join(dir, 'not.pem'), 'hello')
    expect(resolveTlsTrust({caFile: join(dir, 'ca.pem')})).toEqual({mode: 'ca', ca: pem})
    expect(() => resolveTlsTrust({caFile: join(dir, 'not.pem')})).toThrow(/no PEM certificate/)
    expect(() => resolveTlsTrust({caFile: join(dir, 'missing.pem')})).toThrow(/Cannot read the CA file .*ENOENT/)
  })

  test('CA text works like a file', () => {
    expect(resolveTlsTrust({ca: pem})).toEqual({mode: 'ca', ca: pem})
    expect(() => resolveTlsTrust({ca: pem, caFile: '/x'})).toThrow(/not both/)
  })
})
