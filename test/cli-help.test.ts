/**
 * Help that teaches and usage errors that say one thing: the root help (login usage, examples, exit codes), every
 * command's EXIT CODES, "did you mean" for commands and flags, oclif's parser errors in one line with exit 2, and
 * `pve-login docs` / `help TOPIC`. The bin/run.cjs parts run as a real process (`npm run build` first); the parser
 * errors run in-process.
 */
import {describe, expect, test} from '@jest/globals'

import {runCli} from './helpers/cli.js'
import {runInProcess} from './helpers/in-process.js'

const COMMANDS = ['api', 'api-tokens', 'docs', 'doctor', 'env', 'exec', 'login', 'logout', 'refresh', 'status', 'ticket']

/** The lines of one help section, without its header: `EXIT CODES` → ['    0  ok', …]. */
function section(text: string, header: string): string[] {
  const lines = text.split('\n')
  const start = lines.indexOf(header)
  if (start === -1) return []
  const end = lines.findIndex((line, index) => index > start && /^[A-Z][A-Z ]+$/.test(line))
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line.trim() !== '')
}

describe('root help', () => {
  test('leads with the login usage, has 3–5 examples, the commands and the exit codes', async () => {
    const help = await runCli(['--help'])
    expect({code: help.code, stderr: help.stderr}).toEqual({code: 0, stderr: ''})
    expect(section(help.stdout, 'USAGE')[0]).toMatch(/^ {2}\$ pve-login --server HOST --realm REALM +log in/)
    const examples = section(help.stdout, 'EXAMPLES').filter((line) => line.trim().startsWith('$ '))
    expect(examples.length).toBeGreaterThanOrEqual(3)
    expect(examples.length).toBeLessThanOrEqual(5)
    expect(examples.join('\n')).toMatch(/eval "\$\(pve-login env\)"/)
    for (const command of COMMANDS) expect(section(help.stdout, 'COMMANDS').join('\n')).toMatch(new RegExp(`^ {2}${command} `, 'm'))
    expect(section(help.stdout, 'EXIT CODES').map((line) => Number(line.trim().split(/\s+/)[0]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 130])
    expect(help.stdout).toMatch(/pve-login docs +guides installed/)
    // No ragged wrapping: every line fits a 100-column terminal, and each command's summary fits on its line.
    expect(help.stdout.split('\n').filter((line) => line.length > 100)).toEqual([])
    expect(section(help.stdout, 'COMMANDS').every((line) => /^ {2}\S/.test(line))).toBe(true)
    // `help` says the same.
    expect((await runCli(['help'])).stdout).toBe(help.stdout)
  })

  test.each(COMMANDS)('%s --help lists the exit codes it can return', async (command) => {
    const help = await runCli([command, '--help'])
    expect(help.code).toBe(0)
    const codes = section(help.stdout, 'EXIT CODES').map((line) => Number(line.trim().split(/\s+/)[0]))
    expect(codes).toContain(0)
    expect(codes).toContain(2)
    if (['api', 'api-tokens', 'env', 'exec', 'login', 'refresh', 'ticket'].includes(command)) expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 130])
    if (command === 'doctor') expect(section(help.stdout, 'EXIT CODES')).toEqual(['    0  no check failed (warnings allowed)', '    1  a check failed', '    2  usage: a bad flag, argument or realm'])
    // The help text names commands an installed user can run, never a repository path.
    expect(help.stdout).not.toMatch(/docs\/[\w-]+\.md/)
  })
})

describe('mistyped commands and stray words (bin/run.cjs)', () => {
  test('lgoin: "command lgoin not found" and the closest command, exit 2, one line and a hint', async () => {
    const result = await runCli(['lgoin'])
    expect({code: result.code, stdout: result.stdout}).toEqual({code: 2, stdout: ''})
    expect(result.stderr).toBe(
      'pve-login: command lgoin not found.\n  hint: Did you mean `pve-login login`? `pve-login --help` lists the commands; `pve-login --server HOST --realm REALM` logs in.\n',
    )
  })

  test('login extra-arg: the word is named, not "command login:extra-arg not found"', async () => {
    const result = await runCli(['login', 'extra-arg'])
    expect({code: result.code, stdout: result.stdout}).toEqual({code: 2, stdout: ''})
    expect(result.stderr).toMatch(/^pve-login: login takes no arguments; got "extra-arg"\.\n {2}hint: /)
    expect(result.stderr).not.toMatch(/login:extra-arg/)
  })

  test('with --json the error is JSON on stdout', async () => {
    const result = await runCli(['statuss', '--json'])
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout)).toEqual({error: {code: 'INVALID_INPUT', message: 'command statuss not found.', hint: expect.stringContaining('`pve-login status`')}})
  })

  test('help COMMAND is COMMAND --help; help GUIDE prints the guide', async () => {
    const login = await runCli(['help', 'login'])
    expect(login.code).toBe(0)
    expect(login.stdout).toMatch(/^USAGE\n {2}\$ pve-login login/m)
    const guide = await runCli(['help', 'troubleshooting'])
    expect(guide.code).toBe(0)
    expect(guide.stdout).toMatch(/^# Troubleshooting the login/)
  })
})

describe("oclif's parser errors, in one line with a hint (exit 2)", () => {
  test.each([
    [['login', '--timeout', 'abc'], 'pve-login: --timeout: expected an integer but received: abc.', '`pve-login login --help` says what --timeout takes.'],
    [['login', '--timout', '30'], 'pve-login: --timout is not a flag of login.', 'Did you mean --timeout? `pve-login login --help` lists its flags.'],
    [['env', '--shel', 'bash'], 'pve-login: --shel is not a flag of env.', 'Did you mean --shell? `pve-login env --help` lists its flags.'],
    [['api'], 'pve-login: api needs PATH (API path below /api2/json, e.g. /nodes/pve1/qemu).', 'For example `pve-login api /nodes`; `pve-login api --help` shows more.'],
    [['status', '--store', 'bogus'], 'pve-login: --store bogus is not one of keychain, file, none.', '`pve-login status --help` says what each value means.'],
    [['refresh', '--login', '--no-login'], 'pve-login: --login and --no-login cannot be used together.', '`pve-login refresh --help` shows which flags go together.'],
  ])('%j', async (argv, message, hint) => {
    const result = await runInProcess(argv)
    expect({code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({code: 2, stdout: '', stderr: `${message}\n  hint: ${hint}\n`})
  })

  test('a leading flag means login, so its typo is login\'s', async () => {
    const result = await runInProcess(['--timout', '30'])
    expect(result.stderr).toMatch(/^pve-login: --timout is not a flag of login\.\n {2}hint: Did you mean --timeout\?/)
  })
})

describe('pve-login docs', () => {
  test('lists the guides with their folder; a topic prints the guide, --path its file', async () => {
    const list = await runInProcess(['docs'])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^Guides in \/.+\/docs\n/)
    expect(list.stdout).toMatch(/^ {2}troubleshooting +Troubleshooting the login$/m)
    expect(list.stdout).toMatch(/^ {2}setup\/keycloak +/m)
    const guide = await runInProcess(['docs', 'login'])
    expect(guide.stdout).toMatch(/^# How the login works/)
    const path = await runInProcess(['docs', 'okta', '--path'])
    expect(path.stdout).toMatch(/\/docs\/setup\/okta\.md\n$/)
  })

  test('an unknown guide: exit 2 and the closest one', async () => {
    const result = await runInProcess(['docs', 'troubleshoting'])
    expect({code: result.code, stdout: result.stdout}).toEqual({code: 2, stdout: ''})
    expect(result.stderr).toBe('pve-login: There is no guide called "troubleshoting".\n  hint: Did you mean `pve-login docs troubleshooting`? `pve-login docs` lists them all.\n')
  })
})
