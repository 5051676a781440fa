// The library speaks in its own terms: no message, hint or warning it produces names a CLI flag or tells a script
// to run a `pve-login` command. The CLI words the same advice with flags, in one place (src/cli/cli-wording.ts).
import {mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {generate} from 'selfsigned'
import ts from 'typescript'

import {adviceHint, LIBRARY_WORDS, noticeText, type Advice, type Notice} from '../src/advice.js'
import {CLI_WORDS} from '../src/cli/cli-wording.js'
import {reportError} from '../src/cli/error-report.js'
import {browserLogin, getSession, logout, type PveLoginError} from '../src/index.js'
import {renderVariables} from '../src/format/shell.js'
import {failure} from './helpers/failure.js'

/** A CLI flag (`--fingerprint`), or a pve-login command line (`pve-login --server`, `pve-login exec`). */
const CLI_TERMS = /(?:^|[\s`'"(])--[a-z]|\bpve-login (?:--|login\b|env\b|exec\b|ticket\b|api\b|status\b|refresh\b|logout\b)/

/** One of each advice kind: the Record makes the compiler insist on a new kind being listed here. */
const EVERY_ADVICE: Record<Advice['kind'], Advice> = {
  'trust-certificate': {kind: 'trust-certificate', fingerprint: 'AA:BB'},
  'certificate-changed': {kind: 'certificate-changed', fingerprint: 'AA:BB'},
  'keychain-unavailable': {kind: 'keychain-unavailable', platform: 'linux'},
  'choose-store': {kind: 'choose-store'},
  'give-server': {kind: 'give-server'},
  'give-realm': {kind: 'give-realm'},
  'log-in': {kind: 'log-in', server: 'https://pve.example.com:8006', realm: 'cli'},
  'login-refused': {kind: 'login-refused', realm: 'cli'},
  'shell-cannot-carry': {kind: 'shell-cannot-carry'},
  'api-token-unsupported': {kind: 'api-token-unsupported'},
  'api-token-refused': {kind: 'api-token-refused'},
  'api-token-needs-acl': {kind: 'api-token-needs-acl'},
  'api-token-grant-refused': {kind: 'api-token-grant-refused'},
  'api-token-id-clash': {kind: 'api-token-id-clash'},
  'api-token-needs-store': {kind: 'api-token-needs-store'},
}
const EVERY_NOTICE: Record<Notice['kind'], Notice> = {
  'store-fallback': {kind: 'store-fallback', reason: 'No OS keychain here (no Secret Service on the session bus)', location: '/home/a/.local/state/pve-login/sessions'},
}

describe('advice in the library\'s words and in the CLI\'s', () => {
  test.each(Object.values(EVERY_ADVICE))('$kind: option names for the library, flags or commands for the CLI', (advice) => {
    const library = adviceHint(advice, LIBRARY_WORDS)
    expect(library).not.toMatch(CLI_TERMS)
    // Every kind is there because it points at something a person does: the CLI says it with a flag or command.
    expect(adviceHint(advice, CLI_WORDS)).toMatch(CLI_TERMS)
  })

  test.each(Object.values(EVERY_NOTICE))('notice $kind: plain words, no setting to change, the same for the library and the CLI', (notice) => {
    expect(noticeText(notice, LIBRARY_WORDS)).not.toMatch(CLI_TERMS)
    expect(noticeText(notice, CLI_WORDS)).toBe(noticeText(notice, LIBRARY_WORDS))
    expect(noticeText(notice, CLI_WORDS)).toBe('No OS keychain here (no Secret Service on the session bus); tickets are kept in /home/a/.local/state/pve-login/sessions, mode 0600.')
  })

  test('the keychain advice off Linux, too', () => {
    expect(adviceHint({kind: 'keychain-unavailable', platform: 'darwin'}, LIBRARY_WORDS)).toBe('Unlock the keychain, or use store: "file" to keep tickets in a mode-0600 file instead.')
    expect(adviceHint({kind: 'keychain-unavailable', platform: 'darwin'}, CLI_WORDS)).toBe('Unlock the keychain, or use --store file to keep tickets in a mode-0600 file instead.')
  })
})

describe('errors from the public API', () => {
  let server: Server
  let url: string
  const home = mkdtempSync(join(tmpdir(), 'pve-login-wording-'))
  const env = {PVE_LOGIN_HOME: home}

  beforeAll(async () => {
    const pems = await generate([{name: 'commonName', value: '127.0.0.1'}], {keySize: 2048, algorithm: 'sha256'})
    server = createServer({key: pems.private, cert: pems.cert}, (_request, response) => response.end('{}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['no server', () => getSession({env, store: 'file'}), /--server pve\.example\.com/],
    ['no realm', () => getSession({env, store: 'file', server: 'pve.example.com'}), /--realm NAME/],
    ['an unknown store', () => logout({env, store: 'cupboard'}), /--store or PVE_LOGIN_STORE/],
    ['no ticket and no browser allowed', () => getSession({env, store: 'file', server: 'pve.example.com', realm: 'cli', interactive: false}), /^Run: pve-login --server https:\/\/pve\.example\.com:8006 --realm cli$/],
    ['an untrusted certificate', () => browserLogin({server: url, realm: 'cli', openBrowser: false, env}), /--fingerprint [0-9A-F:]{95}, .*--ca-file.*--insecure/],
    ['a changed certificate', () => browserLogin({server: url, realm: 'cli', openBrowser: false, env, tls: {fingerprint: 'AB'.repeat(32)}}), /pin the new one with --fingerprint\.$/],
    ['a value no shell format carries', () => Promise.resolve().then(() => renderVariables([['A', 'x\ny']], 'powershell')), /`pve-login exec -- <command>`.*--shell json/],
  ]

  test.each(cases)('%s: the library names options, the CLI report names flags', async (_what, call, cliHint) => {
    const error = (await failure(call())) as PveLoginError
    expect(error.hint).toBeDefined()
    expect(error.message).not.toMatch(CLI_TERMS)
    expect(error.hint).not.toMatch(CLI_TERMS)
    const report = reportError(error, {})
    expect(report.json.error.hint).toMatch(cliHint)
    expect(report.text).toContain(`pve-login: ${error.message}`)
  })
})

/** Every string and template text passed to `new …Error(…)`, given as `hint:`, or handed to a `.warn(…)`. */
function libraryMessages(file: string): {line: number; text: string}[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: {line: number; text: string}[] = []
  const collect = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      found.push({line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text})
    }
    node.forEachChild(collect)
  }
  const visit = (node: ts.Node): void => {
    const isError = ts.isNewExpression(node) && /Error$/.test(node.expression.getText(source))
    const isWarn = ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'warn'
    const isHint = ts.isPropertyAssignment(node) && node.name.getText(source) === 'hint'
    if (isError || isWarn || isHint) collect(node)
    node.forEachChild(visit)
  }
  visit(source)
  return found
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

test('no error message, hint or warning in the library source names a CLI flag or a pve-login command', () => {
  const root = join(import.meta.dirname, '..', 'src')
  const library = sourceFiles(root).filter((file) => !/^(cli|commands)\//.test(relative(root, file)))
  const offending = library.flatMap((file) => libraryMessages(file).filter(({text}) => CLI_TERMS.test(text)).map(({line, text}) => `${relative(root, file)}:${line}: ${text}`))
  expect(offending).toEqual([])
  // The scan sees what it should: the library has messages, and the same scan flags the CLI's own wording.
  expect(library.flatMap(libraryMessages).length).toBeGreaterThan(50)
  expect(sourceFiles(join(root, 'cli')).flatMap(libraryMessages).some(({text}) => CLI_TERMS.test(text))).toBe(true)
})
