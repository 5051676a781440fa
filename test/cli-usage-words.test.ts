/** The pure pieces behind "did you mean", the guides and oclif's rewritten parser errors. */
import {describe, expect, test} from '@jest/globals'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {closestMatch, editDistance} from '../src/cli/closest-match.js'
import {docReferencesForCli, docTopics, findDocTopic} from '../src/cli/doc-topics.js'
import {explainParserError, unknownCommand} from '../src/cli/usage-error.js'
import {apiErrorHint} from '../src/cli/api-error-hint.js'
import {InvalidInputError, PveApiError} from '../src/errors.js'

const COMMANDS = ['api', 'docs', 'env', 'exec', 'login', 'logout', 'refresh', 'status', 'ticket', 'autocomplete', 'help']

describe('closestMatch', () => {
  test.each([
    ['lgoin', 'login'],
    ['logni', 'login'],
    ['statuss', 'status'],
    ['stat', 'status'],
    ['refersh', 'refresh'],
    ['tiket', 'ticket'],
    ['ap', 'api'],
  ])('%s → %s', (typed, expected) => {
    expect(closestMatch(typed, COMMANDS)).toBe(expected)
  })

  test.each(['kubectl', 'x', 'deploy', 'zzzzzz'])('%s: no guess', (typed) => {
    expect(closestMatch(typed, COMMANDS)).toBeUndefined()
  })

  test('a swap of neighbours is one edit', () => {
    expect(editDistance('lgoin', 'login')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
  })

  test('flags: --timout → --timeout, --browser-comand → --browser-command', () => {
    const flags = ['--timeout', '--browser', '--browser-command', '--no-browser', '--server', '--realm']
    expect(closestMatch('--timout', flags)).toBe('--timeout')
    expect(closestMatch('--browser-comand', flags)).toBe('--browser-command')
    expect(closestMatch('--sever', flags)).toBe('--server')
  })
})

describe('guides (docs/)', () => {
  test('topics from the shipped docs: names, titles, a folder README as the folder', () => {
    const topics = docTopics()
    const names = topics.map((topic) => topic.name)
    expect(names).toEqual(expect.arrayContaining(['login', 'troubleshooting', 'cli', 'setup', 'setup/keycloak']))
    expect(topics.find((topic) => topic.name === 'troubleshooting')?.title).toBe('Troubleshooting the login')
  })

  test.each([
    ['troubleshooting', 'troubleshooting'],
    ['troubleshooting.md', 'troubleshooting'],
    ['docs/troubleshooting.md', 'troubleshooting'],
    ['setup', 'setup'],
    ['setup/README.md', 'setup'],
    ['keycloak', 'setup/keycloak'],
    ['Setup/Okta', 'setup/okta'],
  ])('%s finds %s', (query, name) => {
    expect(findDocTopic(query).name).toBe(name)
  })

  test('an unknown topic: usage error with the closest one', () => {
    expect(() => findDocTopic('troubleshootin')).toThrow(InvalidInputError)
    expect(() => findDocTopic('troubleshootin')).toThrow(expect.objectContaining({hint: expect.stringContaining('`pve-login docs troubleshooting`')}))
  })

  test('an empty or missing docs folder has no topics', () => {
    const directory = mkdtempSync(join(tmpdir(), 'pve-login-docs-'))
    try {
      expect(docTopics(join(directory, 'missing'))).toEqual([])
      mkdirSync(join(directory, 'setup'))
      writeFileSync(join(directory, 'setup', 'README.md'), '# Setting up\n')
      expect(docTopics(directory)).toEqual([{name: 'setup', title: 'Setting up', path: join(directory, 'setup', 'README.md')}])
    } finally {
      rmSync(directory, {recursive: true, force: true})
    }
  })

  test('hints that cite a guide file become the command that shows it', () => {
    expect(docReferencesForCli('See docs/troubleshooting.md; the IdP log has more.')).toBe('See `pve-login docs troubleshooting`; the IdP log has more.')
    expect(docReferencesForCli('an administrator can add one (see `docs/login.md`).')).toBe('an administrator can add one (see `pve-login docs login`).')
    expect(docReferencesForCli('docs/setup/README.md and docs/setup/okta.md')).toBe('`pve-login docs setup` and `pve-login docs setup/okta`')
    expect(docReferencesForCli('no guide here')).toBe('no guide here')
  })
})

/** Stand-ins with the class names and fields oclif's parser errors have (oclif marks them exit 2). */
function parserError(name: string, message: string, fields: Record<string, unknown> = {}): Error {
  const error = Object.assign(new Error(`${message}\nSee more help with --help`), {oclif: {exit: 2}}, fields)
  Object.defineProperty(error, 'constructor', {value: {name}})
  return error
}

const LOGIN = {id: 'login', flagNames: ['--server', '-s', '--realm', '-r', '--timeout', '--browser', '--no-browser', '--browser-command', '--port'], args: []}
const API = {id: 'api', flagNames: ['--method', '-X', '--field', '-f', '--raw'], args: [{name: 'path', description: 'API path below /api2/json, e.g. /nodes/pve1/qemu'}]}

describe('explainParserError: one line and a hint', () => {
  test.each([
    [LOGIN, parserError('NonExistentFlagsError', 'Nonexistent flag: --timout', {flags: ['--timout']}), '--timout is not a flag of login.', 'Did you mean --timeout? `pve-login login --help` lists its flags.'],
    [LOGIN, parserError('NonExistentFlagsError', 'Nonexistent flags: --x, --y', {flags: ['--x', '--y']}), '--x, --y are not flags of login.', '`pve-login login --help` lists its flags.'],
    [LOGIN, parserError('CLIError', 'Parsing --timeout \n\tExpected an integer but received: abc'), '--timeout: expected an integer but received: abc.', '`pve-login login --help` says what --timeout takes.'],
    [LOGIN, parserError('FlagInvalidOptionError', 'Expected --store=bogus to be one of: keychain, file, none'), '--store bogus is not one of keychain, file, none.', '`pve-login login --help` says what each value means.'],
    [
      LOGIN,
      parserError('FailedFlagValidationError', 'The following errors occurred:\n  \x1b[2m--login=true cannot also be provided when using --no-login\n  --no-login=true cannot also be provided when using --login\x1b[22m'),
      '--login and --no-login cannot be used together.',
      '`pve-login login --help` shows which flags go together.',
    ],
    [
      API,
      parserError('RequiredArgsError', 'Missing 1 required arg:\npath  API path below /api2/json\n\nNote: --field allows multiple values.', {args: [{name: 'path'}]}),
      'api needs PATH (API path below /api2/json, e.g. /nodes/pve1/qemu).',
      'For example `pve-login api /nodes`; `pve-login api --help` shows more.',
    ],
    [API, parserError('UnexpectedArgsError', 'Unexpected argument: extra', {args: ['extra']}), 'api takes PATH only; got "extra".', 'A flag needs its dashes (--server, not server); `pve-login api --help` lists the flags.'],
  ])('%#', (command, error, message, hint) => {
    const explained = explainParserError(error, command)
    expect({message: explained.message, hint: explained.hint}).toEqual({message, hint})
    expect(explained.message).not.toMatch(/\n/)
  })

  test('unknownCommand: the closest command, and how to log in', () => {
    expect(unknownCommand('lgoin', COMMANDS).hint).toBe('Did you mean `pve-login login`? `pve-login --help` lists the commands; `pve-login --server HOST --realm REALM` logs in.')
    expect(unknownCommand('kubectl', COMMANDS).hint).not.toMatch(/Did you mean/)
  })
})

describe('apiErrorHint: keyed to the HTTP status', () => {
  const request = {method: 'GET', path: '/nodes/pve9/qemu'}
  test.each([
    [400, 'parameter verification failed', /Pass them as -f KEY=VALUE/],
    [401, 'authentication failure', /log in again with `pve-login`/],
    [403, 'Permission check failed (/vms/100, VM.Audit)', /lacks the privilege.*pveum acl modify/],
    [404, 'no such VM', /check the node name, VM id or storage/],
    [500, 'unable to open file', /journalctl -u pvedaemon -u pveproxy/],
    [501, "Method 'GET /nodes/pve9/qemu' not implemented", /^PVE has no GET \/nodes\/pve9\/qemu: check the path and the method/],
  ])('%i', (status, message, hint) => {
    expect(apiErrorHint(new PveApiError(status, message), request)).toMatch(hint)
  })

  test('a CSRF 401 and a proxy 502 keep the library hint', () => {
    expect(apiErrorHint(new PveApiError(401, 'Permission denied - invalid csrf token'), request)).toBeUndefined()
    expect(apiErrorHint(new PveApiError(502, 'Bad Gateway'), request)).toBeUndefined()
  })
})
