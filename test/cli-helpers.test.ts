import {describe, expect, test} from '@jest/globals'

import {parseApiRequest} from '../src/cli/api-request.js'
import {splitExecCommandLine} from '../src/cli/exec-command-line.js'
import {MAX_MIN_VALID_SECONDS, parseMinValid} from '../src/cli/implicit-login.js'
import {exitStatusOf} from '../src/cli/run-child.js'
import {logoutReport, statusExitCode} from '../src/cli/session-report.js'
import type {SessionStatus} from '../src/format/session-json.js'
import {InvalidInputError} from '../src/errors.js'

/** The oclif-free pieces behind env/exec/api/status/logout, at their edges. The CLI tests cover the common paths. */
describe('splitExecCommandLine', () => {
  const VALUE_FLAGS = new Set(['--for', '--server', '-s', '--min-valid'])

  test.each([
    [['--', 'terraform', 'apply'], [], ['terraform', 'apply']],
    [['--for', 'bpg', '--', 'curl', '-s', 'x'], ['--for', 'bpg'], ['curl', '-s', 'x']],
    [['--for=bpg', 'curl', '--', 'x'], ['--for=bpg'], ['curl', '--', 'x']],
    [['-s', 'pve1', '--insecure', 'env'], ['-s', 'pve1', '--insecure'], ['env']],
    [['terraform', '--for', 'bpg'], [], ['terraform', '--for', 'bpg']],
    [['echo', 'a', 'b', 'a'], [], ['echo', 'a', 'b', 'a']],
    [['--', '--weird-name'], [], ['--weird-name']],
  ])('%j → own %j, command %j', (argv, own, command) => {
    expect(splitExecCommandLine(argv, VALUE_FLAGS)).toEqual({own, command})
  })

  test.each([[[]], [['--for', 'bpg']], [['--']], [['--', '']]])('%j has no command: usage error', (argv) => {
    expect(() => splitExecCommandLine(argv, VALUE_FLAGS)).toThrow(InvalidInputError)
  })
})

describe('parseApiRequest', () => {
  test.each(['/nodes', 'nodes', '/api2/json/nodes', 'api2/json/nodes/', '//nodes'])('%s → /nodes', (path) => {
    expect(parseApiRequest(path, undefined)).toEqual({method: 'GET', path: '/nodes', params: {}})
  })

  test('query string and -f fields merge; a repeated key becomes a list; = in a value stays', () => {
    expect(parseApiRequest('cluster/resources?type=vm', 'get', ['link=a', 'link=b', 'description=x=y'])).toEqual({
      method: 'GET',
      path: '/cluster/resources',
      params: {type: 'vm', link: ['a', 'b'], description: 'x=y'},
    })
  })

  test('/api2/jsonx is not the prefix', () => {
    expect(parseApiRequest('/api2/jsonx', undefined).path).toBe('/api2/jsonx')
  })

  test.each([
    ['https://pve:8006/api2/json/nodes', undefined, []],
    ['/nodes', 'PATCH', []],
    ['/nodes', undefined, ['novalue']],
    ['/nodes', undefined, ['=x']],
    ['/no des', undefined, []],
  ])('%s -X %s -f %j: usage error', (path, method, fields) => {
    expect(() => parseApiRequest(path, method, fields)).toThrow(InvalidInputError)
  })
})

describe('parseMinValid', () => {
  test('durations up to what a new ticket offers', () => {
    expect(parseMinValid('90m')).toBe(5400)
    expect(parseMinValid('1h59m')).toBe(MAX_MIN_VALID_SECONDS)
    expect(() => parseMinValid('2h')).toThrow(/more than a PVE ticket can offer/)
    expect(() => parseMinValid('soon')).toThrow(InvalidInputError)
  })
})

describe('exitStatusOf', () => {
  test('like a shell: the code, 128+signal, 127 not found, 126 not runnable', () => {
    expect(exitStatusOf({kind: 'exited', code: 3})).toBe(3)
    expect(exitStatusOf({kind: 'killed', signal: 'SIGTERM'})).toBe(143)
    expect(exitStatusOf({kind: 'killed', signal: 'SIGKILL'})).toBe(137)
    expect(exitStatusOf({kind: 'not-started', errorCode: 'ENOENT', message: ''})).toBe(127)
    expect(exitStatusOf({kind: 'not-started', errorCode: 'EACCES', message: ''})).toBe(126)
  })
})

describe('status exit code and logout report', () => {
  const status = (server: string, realm: string, valid: boolean) => ({server, realm, valid}) as SessionStatus

  test('0 only for a valid session of the selected server and realm; any valid one when none is selected', () => {
    const statuses = [status('https://a:8006', 'cli', true), status('https://b:8006', 'cli', false)]
    expect(statusExitCode(statuses, {server: 'https://a:8006', realm: 'cli'})).toBe(0)
    expect(statusExitCode(statuses, {server: 'https://b:8006', realm: 'cli'})).toBe(3)
    expect(statusExitCode(statuses, {server: 'https://a:8006', realm: 'other'})).toBe(3)
    expect(statusExitCode(statuses, undefined)).toBe(0)
    expect(statusExitCode([statuses[1]!], undefined)).toBe(3)
    expect(statusExitCode([], undefined)).toBe(3)
  })

  test('logout names each session and when its ticket stops working; an expired one needs no warning', () => {
    const now = new Date('2026-11-23T18:00:00Z')
    const record = (username: string, issuedAt: string) => ({server: 'https://pve:8006', realm: 'cli', username, ticket: 't', csrfToken: 'c', issuedAt})
    const text = logoutReport([record('alice@cli', '2026-11-23T17:30:00Z')], {all: false}, now)
    expect(text).toContain('Removed the session of alice@cli on https://pve:8006 (realm cli); its ticket stays valid until 19:30 (+00:00), in 1h 30m.')
    expect(text).toMatch(/PVE cannot revoke a ticket/)
    const expired = logoutReport([record('bob@cli', '2026-11-23T15:00:00Z')], {all: true}, now)
    expect(expired).toBe('Removed the session of bob@cli on https://pve:8006 (realm cli); its ticket has already expired.\n')
  })
})
