/**
 * The real shells read what renderVariables writes, and the variables they export must be byte-for-byte the
 * values we started from. Each shell evaluates the output the way the docs tell users to (`eval "$(…)"` for sh,
 * bash and zsh; `source` for fish) and then `env -0` prints its exported environment, which also proves the
 * variables are exported and not just set. A missing shell is reported on stderr and its tests skip; in CI
 * (PVE_LOGIN_TEST_REQUIRE_ALL=1, .ci/run installs fish and zsh) a missing shell fails the run instead.
 *
 * PowerShell and cmd.exe do not exist on this machine: test/format-shell.test.ts checks their output against
 * their quoting rules instead.
 */
import {describe, expect, test} from '@jest/globals'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {renderVariables, unsetVariables, type EnvironmentVariable, type ShellFormat} from '../src/format/shell.js'
import {sessionVariables} from '../src/format/environment.js'
import {hasShell} from './helpers/capabilities.js'

/** Values that break naive quoting in at least one shell. */
const NASTY: EnvironmentVariable[] = [
  ['TICKET', "PVE:o'brien@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1=="],
  ['USER_ID', "o'brien@cli"],
  ['EXPANSIONS', '$HOME ${HOME} $(id -u) `id -u` $((1+1)) ~ ~root *'],
  ['BACKSLASHES', 'a\\b \\\\ \\\' \\" \\n \\$HOME and a trailing \\'],
  ['BANG', 'history! !! !$ !-1 ^old^new'],
  ['CMD_SPECIALS', '100% %PATH% ^caret & amp | pipe < > ( ) ;'],
  ['QUOTES', `"double" 'single' "mixed' ''' """`],
  ['SPACES', '  leading and trailing  \t tab  '],
  ['NEWLINES', 'line one\nline two\r\nline three\n'],
  ['FISH_SPECIALS', '{a,b} (echo x) $argv[1] \\x41 \\\\\' #not-a-comment'],
  ['UNICODE', 'grüße ✓ ’curly’ “quotes” 日本'],
  ['DASH', '-n'],
  ['EMPTY', ''],
]

/** Each shell, how users load pve-login's output into it, and where it lives. */
const SHELLS: {format: ShellFormat; path: string; load: string}[] = [
  {format: 'sh', path: '/bin/sh', load: 'eval "$(cat "$PVE_LOGIN_TEST_SCRIPT")"'},
  {format: 'bash', path: '/bin/bash', load: 'eval "$(cat "$PVE_LOGIN_TEST_SCRIPT")"'},
  {format: 'zsh', path: '/usr/bin/zsh', load: 'eval "$(cat "$PVE_LOGIN_TEST_SCRIPT")"'},
  {format: 'fish', path: '/usr/bin/fish', load: 'cat $PVE_LOGIN_TEST_SCRIPT | source'},
]

/** Runs `script` through `shell` and returns the environment it exports afterwards. */
function exportedEnvironment(shell: {path: string; load: string}, script: string, then = ''): Map<string, string> {
  const directory = mkdtempSync(join(tmpdir(), 'pve-login-shell-'))
  try {
    const scriptPath = join(directory, 'script')
    writeFileSync(scriptPath, script)
    const command = `${shell.load}\n${then}\nexec env -0\n`
    // A minimal, known environment: HOME for the expansion values, PATH for cat and env.
    const result = spawnSync(shell.path, ['-c', command], {
      env: {PATH: '/usr/bin:/bin', HOME: '/nonexistent-home', PVE_LOGIN_TEST_SCRIPT: scriptPath},
      encoding: 'buffer',
      timeout: 20_000,
    })
    if (result.status !== 0) throw new Error(`${shell.path} exited ${result.status}: ${result.stderr.toString()}`)
    const exported = new Map<string, string>()
    for (const entry of result.stdout.toString('utf8').split('\0')) {
      const equals = entry.indexOf('=')
      if (equals > 0) exported.set(entry.slice(0, equals), entry.slice(equals + 1))
    }
    return exported
  } finally {
    rmSync(directory, {recursive: true, force: true})
  }
}

describe.each(SHELLS)('$format output evaluated by $path', (shell) => {
  const present = hasShell(shell.path)
  const run = present ? test : test.skip

  run('exports every nasty value byte for byte', () => {
    const exported = exportedEnvironment(shell, renderVariables(NASTY, shell.format))
    for (const [name, value] of NASTY) {
      expect([name, exported.get(name)]).toEqual([name, value])
    }
  })

  run('exports a real session for the default and every consumer', () => {
    const session = {
      server: 'https://pve.example.com:8006',
      username: "o'brien@cli",
      ticket: "PVE:o'brien@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1==",
      csrfToken: '6650A1B2:Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1',
      issuedAt: '2024-05-24T14:18:26Z',
    }
    const {variables} = sessionVariables(session, {consumer: 'all', insecure: true})
    const exported = exportedEnvironment(shell, renderVariables(variables, shell.format))
    expect(variables.map(([name]) => [name, exported.get(name)])).toEqual(variables.map(([name, value]) => [name, value]))
  })

  run('unsetVariables removes them again, also when some were never set', () => {
    const names = NASTY.map(([name]) => name)
    const unset = unsetVariables([...names, 'PVE_LOGIN_NEVER_SET'], shell.format)
    const exported = exportedEnvironment(shell, renderVariables(NASTY, shell.format) + unset)
    for (const name of names) expect([name, exported.has(name)]).toEqual([name, false])
  })
})

/**
 * python-dotenv is one of the three dotenv parsers the dotenv format is written for. It is not a test dependency
 * (CI does not install it): when it is importable this cross-checks the documented rules, otherwise it says so
 * and skips. npm dotenv and docker compose are not installed here; test/format-shell.test.ts checks the rules.
 */
function pythonDotenvAvailable(): boolean {
  const probe = spawnSync('python3', ['-c', 'import dotenv'], {encoding: 'utf8'})
  if (probe.status === 0) return true
  process.stderr.write('SKIPPING the python-dotenv cross-check: python3 with python-dotenv is not installed (optional; pip install python-dotenv)\n')
  return false
}

describe('dotenv output read by python-dotenv', () => {
  const run = pythonDotenvAvailable() ? test : test.skip

  run('reads back every value the dotenv format accepts', () => {
    // The nasty values dotenv can carry (the others are refused, see test/format-shell.test.ts), plus values that
    // take each of the two quoting paths.
    const dotenvValues: EnvironmentVariable[] = [
      ...NASTY,
      ['LONE_BACKSLASH', 'C:\\path\\to x\\y'],
      ['DOUBLE_QUOTE_ONLY', 'say "hi" # not a comment = still value'],
      ['SINGLE_QUOTE_PATH', "it's #1 = fine % ^ & !"],
    ]
    const accepted = dotenvValues.filter(([name, value]) => {
      try {
        renderVariables([[name, value]], 'dotenv')
        return true
      } catch {
        return false
      }
    })
    expect(accepted.map(([name]) => name)).toEqual(expect.arrayContaining(['TICKET', 'USER_ID', 'CMD_SPECIALS', 'SPACES', 'UNICODE', 'EMPTY', 'LONE_BACKSLASH', 'DOUBLE_QUOTE_ONLY', 'SINGLE_QUOTE_PATH']))
    const text = renderVariables(accepted, 'dotenv')
    // interpolate=True is python-dotenv's default for load_dotenv and dotenv_values.
    const result = spawnSync('python3', ['-c', 'import sys, json, io, dotenv; print(json.dumps(dotenv.dotenv_values(stream=io.StringIO(sys.stdin.read()))))'], {
      input: text,
      encoding: 'utf8',
      env: {PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent-home'},
    })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual(Object.fromEntries(accepted))
  })
})
