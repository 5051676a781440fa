/**
 * renderVariables, unsetVariables and detectShell as pure functions. sh, bash, zsh, fish and python-dotenv also
 * evaluate the output for real in test/format-shell-eval.test.ts. PowerShell and cmd.exe are not installed on
 * this machine (nor in CI), so their output is checked here against their quoting rules: PowerShell's tokenizer
 * (ScanStringLiteral: a pair of single-quote characters stands for the second) and cmd.exe's `set "NAME=value"`
 * parsing. npm dotenv and docker compose are not installed either; the dotenv cases encode the rules documented
 * in src/format/shell.ts.
 */
import {describe, expect, test} from '@jest/globals'
import {InvalidInputError} from '../src/errors.js'
import {detectShell, parseShellFormat, renderVariables, SHELL_FORMATS, unsetVariables, type ShellFormat} from '../src/format/shell.js'

const TICKET = 'PVE:alice@cli:6650A1B2::rsKo+Apx/Q9d8mZl0e1T3vJQ2Yw7b4iK9ZkVt8pW2nXhL6aD5sRq0uCyMfGjE3oN1=='

/** Renders one variable and returns the error, or undefined when the format accepted the value. */
function refusal(value: string, shell: ShellFormat): InvalidInputError | undefined {
  try {
    renderVariables([['V', value]], shell)
    return undefined
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    return error
  }
}

describe('renderVariables: exact text per format', () => {
  const variables = [
    ['PROXMOX_VE_AUTH_TICKET', TICKET],
    ['PVE_LOGIN_USERNAME', "o'brien@cli"],
  ] as const

  test('sh, bash and zsh: export with single quotes and the quote spelled as close-escape-reopen', () => {
    for (const shell of ['sh', 'bash', 'zsh'] as const) {
      expect(renderVariables(variables, shell)).toBe(`export PROXMOX_VE_AUTH_TICKET='${TICKET}'\nexport PVE_LOGIN_USERNAME='o'\\''brien@cli'\n`)
    }
  })

  test('fish: set -gx with \\\' and \\\\ as the only escapes inside single quotes', () => {
    expect(renderVariables(variables, 'fish')).toBe(`set -gx PROXMOX_VE_AUTH_TICKET '${TICKET}'\nset -gx PVE_LOGIN_USERNAME 'o\\'brien@cli'\n`)
    expect(renderVariables([['V', 'a\\b\\\\c']], 'fish')).toBe("set -gx V 'a\\\\b\\\\\\\\c'\n")
  })

  test('powershell: $Env: with single quotes, quotes doubled', () => {
    expect(renderVariables(variables, 'powershell')).toBe(`$Env:PROXMOX_VE_AUTH_TICKET = '${TICKET}'\n$Env:PVE_LOGIN_USERNAME = 'o''brien@cli'\n`)
  })

  test('powershell: $, backtick, double quotes and backslashes are literal in single quotes, so they stay as they are', () => {
    expect(renderVariables([['V', '$HOME `n "x" \\ $(Get-Date) @{a=1}']], 'powershell')).toBe('$Env:V = \'$HOME `n "x" \\ $(Get-Date) @{a=1}\'\n')
  })

  test('powershell: the typographic single quotes its tokenizer also ends strings on are doubled too', () => {
    expect(renderVariables([['V', 'a\u2018b\u2019c\u201ad\u201be']], 'powershell')).toBe("$Env:V = 'a\u2018\u2018b\u2019\u2019c\u201a\u201ad\u201b\u201be'\n")
  })

  test('cmd: set "NAME=value" with CRLF line ends; & | < > ( ) ^ ; are literal inside the quotes', () => {
    expect(renderVariables([['PM_API_URL', 'https://pve.example.com:8006/api2/json'], ['V', 'a & b | c < d > e (f) ^g ;h']], 'cmd')).toBe(
      'set "PM_API_URL=https://pve.example.com:8006/api2/json"\r\nset "V=a & b | c < d > e (f) ^g ;h"\r\n',
    )
    expect(renderVariables([['PVE_LOGIN_USERNAME', "o'brien@cli"]], 'cmd')).toBe('set "PVE_LOGIN_USERNAME=o\'brien@cli"\r\n')
  })

  test('dotenv: single quotes normally, double quotes for a value with a single quote', () => {
    expect(renderVariables(variables, 'dotenv')).toBe(`PROXMOX_VE_AUTH_TICKET='${TICKET}'\nPVE_LOGIN_USERNAME="o'brien@cli"\n`)
    expect(renderVariables([['V', 'a\\b "quoted" # not a comment']], 'dotenv')).toBe(`V='a\\b "quoted" # not a comment'\n`)
  })

  test('json: one object in order, two-space indent, trailing newline', () => {
    const text = renderVariables([...variables, ['MULTI', 'line\none']], 'json')
    expect(text.endsWith('}\n')).toBe(true)
    expect(JSON.parse(text)).toEqual({PROXMOX_VE_AUTH_TICKET: TICKET, PVE_LOGIN_USERNAME: "o'brien@cli", MULTI: 'line\none'})
    expect(Object.keys(JSON.parse(text))).toEqual(['PROXMOX_VE_AUTH_TICKET', 'PVE_LOGIN_USERNAME', 'MULTI'])
  })

  test('an empty list is empty text, except json which is an empty object', () => {
    for (const shell of SHELL_FORMATS.filter((format) => format !== 'json')) expect(renderVariables([], shell)).toBe('')
    expect(renderVariables([], 'json')).toBe('{}\n')
  })

  test('empty values are written as empty quotes', () => {
    expect(renderVariables([['V', '']], 'bash')).toBe("export V=''\n")
    expect(renderVariables([['V', '']], 'fish')).toBe("set -gx V ''\n")
    expect(renderVariables([['V', '']], 'powershell')).toBe("$Env:V = ''\n")
    expect(renderVariables([['V', '']], 'cmd')).toBe('set "V="\r\n')
    expect(renderVariables([['V', '']], 'dotenv')).toBe("V=''\n")
  })
})

describe('renderVariables: values a format cannot carry are refused, never mangled', () => {
  test('sh, bash, zsh, fish and json carry line breaks; powershell, cmd and dotenv refuse them', () => {
    for (const shell of ['sh', 'bash', 'zsh', 'fish', 'json'] as const) expect(refusal('a\nb', shell)).toBeUndefined()
    for (const shell of ['powershell', 'cmd', 'dotenv'] as const) {
      expect(refusal('a\nb', shell)?.message).toMatch(/line break/)
      expect(refusal('a\rb', shell)).toBeInstanceOf(InvalidInputError)
    }
  })

  test('no format takes a NUL, which no environment variable can hold', () => {
    for (const shell of SHELL_FORMATS) expect(refusal('a\0b', shell)?.code).toBe('INVALID_INPUT')
  })

  test('cmd refuses %, ! and " (batch vs prompt expansion, delayed expansion, quote toggling) and control characters', () => {
    expect(refusal('100%', 'cmd')?.message).toMatch(/contains %/)
    expect(refusal('%PATH%', 'cmd')).toBeDefined()
    expect(refusal('hey!', 'cmd')?.message).toMatch(/contains !/)
    expect(refusal('say "hi"', 'cmd')?.message).toMatch(/double quote/)
    expect(refusal('tab\there', 'cmd')?.message).toMatch(/control character/)
    expect(refusal('\x1a', 'cmd')).toBeDefined()
    // A real ticket, user id and URL pass.
    expect(refusal(TICKET, 'cmd')).toBeUndefined()
    expect(refusal("o'brien@cli", 'cmd')).toBeUndefined()
  })

  test('dotenv refuses $, backslash runs and unquotable mixes of quotes', () => {
    expect(refusal('$HOME', 'dotenv')?.message).toMatch(/contains \$/)
    expect(refusal('${HOME}', 'dotenv')).toBeDefined()
    expect(refusal('a\\\\b', 'dotenv')?.message).toMatch(/backslash/)
    expect(refusal('ends in \\', 'dotenv')).toBeDefined()
    expect(refusal(`it's "quoted"`, 'dotenv')?.message).toMatch(/single quote together/)
    expect(refusal("it's a\\b", 'dotenv')).toBeDefined()
    // Fine: a lone backslash in single quotes, a single quote alone in double quotes, %, !, #, =.
    expect(refusal('a\\b', 'dotenv')).toBeUndefined()
    expect(refusal("o'brien@cli", 'dotenv')).toBeUndefined()
    expect(refusal('100% ! # = ^ &', 'dotenv')).toBeUndefined()
  })

  test('the refusal names the variable, the character and a way out, and never the secret value', () => {
    const secret = 'secret-part-%-of-a-value'
    let caught: unknown
    try {
      renderVariables([['PROXMOX_VE_AUTH_TICKET', secret]], 'cmd')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InvalidInputError)
    const error = caught as InvalidInputError
    expect(error.message).toContain('PROXMOX_VE_AUTH_TICKET')
    expect(error.message).toContain('in cmd syntax')
    expect(error.message).not.toContain('secret-part')
    expect(error.hint).toMatch(/without a shell, or the json format/)
    expect(error.advice).toEqual({kind: 'shell-cannot-carry'})
  })

  test('nothing is rendered when one value is refused', () => {
    expect(() => renderVariables([['OK', 'fine'], ['BAD', '%']], 'cmd')).toThrow(InvalidInputError)
  })

  test('names must be portable identifiers and unique', () => {
    expect(() => renderVariables([['1BAD', 'x']], 'sh')).toThrow(/not a usable environment variable name/)
    expect(() => renderVariables([['BAD-NAME', 'x']], 'powershell')).toThrow(InvalidInputError)
    expect(() => renderVariables([['A;rm', 'x']], 'bash')).toThrow(InvalidInputError)
    expect(() => renderVariables([['A', 'x'], ['A', 'y']], 'json')).toThrow(/listed twice/)
  })
})

describe('unsetVariables', () => {
  test('one line per shell idiom', () => {
    expect(unsetVariables(['A', 'B'], 'bash')).toBe('unset A B\n')
    expect(unsetVariables(['A'], 'fish')).toBe('set -q A; and set -e A\n')
    expect(unsetVariables(['A'], 'powershell')).toBe('Remove-Item Env:A -ErrorAction SilentlyContinue\n')
    expect(unsetVariables(['A'], 'cmd')).toBe('set "A="\r\n')
    expect(unsetVariables([], 'sh')).toBe('')
  })

  test('dotenv and json have no unset form', () => {
    expect(() => unsetVariables(['A'], 'dotenv')).toThrow(InvalidInputError)
    expect(() => unsetVariables(['A'], 'json')).toThrow(InvalidInputError)
  })
})

describe('parseShellFormat', () => {
  test('accepts the eight formats and lists them when refusing', () => {
    for (const format of SHELL_FORMATS) expect(parseShellFormat(format)).toBe(format)
    expect(() => parseShellFormat('tcsh')).toThrow(InvalidInputError)
    expect(() => parseShellFormat('csh')).toThrow(expect.objectContaining({hint: 'Choose one of: sh, bash, zsh, fish, powershell, cmd, dotenv, json.'}))
    expect(() => parseShellFormat('csh')).not.toThrow(expect.objectContaining({hint: 'something else'}))
  })
})

describe('detectShell', () => {
  const windowsModules = 'C:\\Program Files\\WindowsPowerShell\\Modules;C:\\WINDOWS\\system32\\WindowsPowerShell\\v1.0\\Modules'

  test('from the basename of $SHELL', () => {
    expect(detectShell({SHELL: '/bin/bash'}, 'linux')).toBe('bash')
    expect(detectShell({SHELL: '/usr/bin/zsh'}, 'darwin')).toBe('zsh')
    expect(detectShell({SHELL: '/opt/homebrew/bin/fish'}, 'darwin')).toBe('fish')
    expect(detectShell({SHELL: '/bin/dash'}, 'linux')).toBe('sh')
    expect(detectShell({SHELL: '/bin/ksh'}, 'openbsd')).toBe('sh')
    expect(detectShell({SHELL: '/usr/bin/pwsh'}, 'linux')).toBe('powershell')
  })

  test('unknown or missing $SHELL falls back to sh outside Windows', () => {
    expect(detectShell({}, 'linux')).toBe('sh')
    expect(detectShell({SHELL: '/bin/tcsh'}, 'freebsd')).toBe('sh')
    expect(detectShell({SHELL: ''}, 'darwin')).toBe('sh')
  })

  test('Windows: Git Bash and MSYS2 set SHELL, with a Windows or POSIX path', () => {
    expect(detectShell({SHELL: 'C:\\Program Files\\Git\\usr\\bin\\bash.exe', PSModulePath: windowsModules}, 'win32')).toBe('bash')
    expect(detectShell({SHELL: '/usr/bin/bash'}, 'win32')).toBe('bash')
  })

  test("Windows: PowerShell is recognised by the user's module directory it adds to PSModulePath", () => {
    const pwsh7 = `C:\\Users\\alice\\Documents\\PowerShell\\Modules;C:\\Program Files\\PowerShell\\Modules;c:\\program files\\powershell\\7\\Modules;${windowsModules}`
    const windowsPowerShell = `C:\\Users\\alice\\OneDrive\\Documents\\WindowsPowerShell\\Modules;${windowsModules}`
    expect(detectShell({PSModulePath: pwsh7}, 'win32')).toBe('powershell')
    expect(detectShell({PSModulePath: windowsPowerShell}, 'win32')).toBe('powershell')
  })

  test('Windows: cmd.exe has only the machine-wide PSModulePath, or none', () => {
    expect(detectShell({PSModulePath: windowsModules}, 'win32')).toBe('cmd')
    expect(detectShell({}, 'win32')).toBe('cmd')
  })
})
