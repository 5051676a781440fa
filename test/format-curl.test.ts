/**
 * The curl config and cookie jar, read by the real curl against a local HTTP server that records what arrives.
 * The server decodes the cookie the way PVE does (`PVEAuthCookie=([^;]*)`, then URI-unescape).
 */
import {describe, expect, test} from '@jest/globals'
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {InvalidInputError} from '../src/errors.js'
import {renderCookieJar, renderCurlConfig} from '../src/format/curl.js'

const SESSION = {
  server: 'https://pve.example.com:8006',
  ticket: "PVE:o'brien@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1==",
  csrfToken: '6650A1B2:Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1',
  issuedAt: new Date(0x6650a1b2 * 1000).toISOString(),
}

/**
 * curl is not among the packages .ci/run installs, so a missing curl skips (and says so) instead of failing CI
 * the way test/helpers/capabilities.ts would.
 */
const curlPresent = existsSync('/usr/bin/curl')
if (!curlPresent) process.stderr.write('SKIPPING the tests that run curl: /usr/bin/curl is not installed (apt-get install curl)\n')
const runWithCurl = curlPresent ? test : test.skip

/** What PVE's extract_auth_value does with a Cookie header. */
const pveTicketFromCookie = (cookie: string | undefined): string | undefined => {
  const raw = /(?:^|\s)PVEAuthCookie=([^;]*)/.exec(cookie ?? '')?.[1]
  return raw === undefined ? undefined : decodeURIComponent(raw)
}

/** Runs curl with `args` (plus the URL of a local server) and returns the request headers the server saw. */
async function curlHeaders(args: (directory: string) => string[]): Promise<IncomingHttpHeaders> {
  const directory = mkdtempSync(join(tmpdir(), 'pve-login-curl-'))
  let seen: IncomingHttpHeaders | undefined
  const server = createServer((request, response) => {
    seen = request.headers
    response.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api2/json/version`
    await new Promise<void>((resolve, reject) =>
      execFile('/usr/bin/curl', ['--silent', '--show-error', '--fail', ...args(directory), url], (error) => (error ? reject(error) : resolve())),
    )
    if (!seen) throw new Error('the server saw no request')
    return seen
  } finally {
    server.close()
    rmSync(directory, {recursive: true, force: true})
  }
}

describe('curl config (curl -K)', () => {
  test('exact text', () => {
    expect(renderCurlConfig(SESSION)).toBe(
      [
        '# pve-login: use with curl -K <this file> https://…/api2/json/…',
        `cookie = "PVEAuthCookie=${encodeURIComponent(SESSION.ticket)}"`,
        `header = "CSRFPreventionToken: ${SESSION.csrfToken}"`,
        '',
      ].join('\n'),
    )
  })

  test('refuses control characters, which would let a value add headers', () => {
    expect(() => renderCurlConfig({...SESSION, csrfToken: 'x\r\nX-Injected: 1'})).toThrow(InvalidInputError)
  })

  runWithCurl('the real curl sends the ticket cookie and the CSRF header, byte for byte', async () => {
    const csrfToken = 'tricky "quoted" \\ back\\slash'
    const headers = await curlHeaders((directory) => {
      const path = join(directory, 'curl.conf')
      writeFileSync(path, renderCurlConfig({...SESSION, csrfToken}))
      return ['-K', path]
    })
    expect(pveTicketFromCookie(headers['cookie'])).toBe(SESSION.ticket)
    expect(headers['csrfpreventiontoken']).toBe(csrfToken)
  })
})

describe('cookie jar (curl -b, wget --load-cookies)', () => {
  test('one secure cookie for the host, expiring with the ticket', () => {
    const lines = renderCookieJar(SESSION).split('\n')
    expect(lines[0]).toBe('# Netscape HTTP Cookie File')
    expect(lines[2]?.split('\t')).toEqual(['pve.example.com', 'FALSE', '/', 'TRUE', String(0x6650a1b2 + 7200), 'PVEAuthCookie', encodeURIComponent(SESSION.ticket)])
  })

  runWithCurl('the real curl loads it and sends the ticket to that host', async () => {
    // A far-future ticket time so curl does not drop the cookie as expired, for the local server's host.
    const session = {...SESSION, server: 'http://127.0.0.1:8006', issuedAt: new Date(Date.now() + 60_000).toISOString()}
    const headers = await curlHeaders((directory) => {
      const path = join(directory, 'cookies.txt')
      writeFileSync(path, renderCookieJar(session))
      return ['-b', path]
    })
    expect(pveTicketFromCookie(headers['cookie'])).toBe(SESSION.ticket)
  })
})
