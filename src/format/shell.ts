/**
 * Writing environment variables as text another program evaluates: `eval "$(pve-login env)"`, `… | source` in
 * fish, `… | Invoke-Expression` in PowerShell, `for /f` in cmd, a `.env` file, or JSON. Tickets carry `+ / = :`,
 * and PVE user ids may carry quotes, so every format quotes every value. Where a format cannot carry a value
 * exactly, rendering refuses with an InvalidInputError naming the variable (never the secret value) rather than
 * emit text that would set something else. docs/output-formats.md describes each format for users.
 */
import {InvalidInputError} from '../errors.js'

export type ShellFormat = 'sh' | 'bash' | 'zsh' | 'fish' | 'powershell' | 'cmd' | 'dotenv' | 'json'

export const SHELL_FORMATS: readonly ShellFormat[] = ['sh', 'bash', 'zsh', 'fish', 'powershell', 'cmd', 'dotenv', 'json']

/** One variable to set: `[name, value]`. */
export type EnvironmentVariable = readonly [name: string, value: string]

/** Portable names only: every format here (and cmd's `set`, PowerShell's `$Env:`) takes these without quoting. */
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export function parseShellFormat(value: string): ShellFormat {
  if ((SHELL_FORMATS as readonly string[]).includes(value)) return value as ShellFormat
  throw new InvalidInputError(`Unknown shell "${value}".`, {hint: `Choose one of: ${SHELL_FORMATS.join(', ')}.`})
}

/** Text that, evaluated by `shell`, sets each variable to exactly its value. Always ends with a newline. */
export function renderVariables(variables: readonly EnvironmentVariable[], shell: ShellFormat): string {
  checkNames(variables.map(([name]) => name))
  for (const [name, value] of variables) checkValue(name, value, shell)
  switch (shell) {
    case 'sh':
    case 'bash':
    case 'zsh':
      return lines(variables.map(([name, value]) => `export ${name}=${posixQuote(value)}`))
    case 'fish':
      return lines(variables.map(([name, value]) => `set -gx ${name} ${fishQuote(value)}`))
    case 'powershell':
      return lines(variables.map(([name, value]) => `$Env:${name} = ${powershellQuote(value)}`))
    case 'cmd':
      // cmd.exe reads batch files line by line and drops the CR, so CRLF is safe everywhere and what Notepad expects.
      return lines(variables.map(([name, value]) => `set "${name}=${value}"`), '\r\n')
    case 'dotenv':
      return lines(variables.map(([name, value]) => `${name}=${dotenvQuote(value)}`))
    case 'json':
      return `${JSON.stringify(Object.fromEntries(variables), null, 2)}\n`
  }
}

/**
 * Text that removes the variables again (for `logout` hints). dotenv and json describe values, not actions,
 * so they have no unset form.
 */
export function unsetVariables(names: readonly string[], shell: ShellFormat): string {
  checkNames(names)
  if (names.length === 0) return ''
  switch (shell) {
    case 'sh':
    case 'bash':
    case 'zsh':
      return lines([`unset ${names.join(' ')}`])
    case 'fish':
      // `set -e` of a name that is not set fails; `set -q` keeps `… | source` quiet for partial sets.
      return lines(names.map((name) => `set -q ${name}; and set -e ${name}`))
    case 'powershell':
      return lines(names.map((name) => `Remove-Item Env:${name} -ErrorAction SilentlyContinue`))
    case 'cmd':
      return lines(names.map((name) => `set "${name}="`), '\r\n')
    case 'dotenv':
    case 'json':
      throw new InvalidInputError(`The ${shell} format has no way to unset variables.`, {hint: 'Choose sh, bash, zsh, fish, powershell or cmd.'})
  }
}

/**
 * The format for the shell the user is probably typing into. `$SHELL` names the login shell (not necessarily the
 * one running), so this is a default that `--shell` overrides. On Windows, `SHELL` is only set by Git Bash, MSYS2
 * and Cygwin. PowerShell is recognised by the per-user module directory it adds to `PSModulePath` when it starts
 * (`…\Documents\PowerShell\Modules` or `…\Documents\WindowsPowerShell\Modules`): cmd.exe also has `PSModulePath`,
 * because Windows sets the machine-wide part for every process, but without the user's directory. A cmd.exe
 * started from PowerShell inherits the longer value and is taken for PowerShell; `--shell cmd` fixes that.
 */
export function detectShell(env: Readonly<Record<string, string | undefined>>, platform: string): ShellFormat {
  const fromShell = env['SHELL'] ? shellFromPath(env['SHELL']) : undefined
  if (fromShell) return fromShell
  if (platform !== 'win32') return 'sh'
  const modulePath = env['PSModulePath'] ?? ''
  const userModuleDirectory = modulePath
    .split(';')
    .some((entry) => /[\\/]Documents[\\/](Windows)?PowerShell[\\/]Modules[\\/]?$/i.test(entry.trim()))
  return userModuleDirectory ? 'powershell' : 'cmd'
}

/** `/usr/bin/zsh` → zsh, `C:\Program Files\Git\usr\bin\bash.exe` → bash; undefined for shells we cannot write for. */
function shellFromPath(path: string): ShellFormat | undefined {
  const base = (path.split(/[\\/]/).pop() ?? '').toLowerCase().replace(/\.exe$/, '')
  if (base === 'bash' || base === 'zsh' || base === 'fish') return base
  // POSIX-family shells: `export NAME='…'` is valid in all of them.
  if (['sh', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'yash', 'posh', 'busybox'].includes(base)) return 'sh'
  if (base === 'pwsh' || base === 'powershell') return 'powershell'
  // csh/tcsh, nu, xonsh, elvish…: none of our formats is their syntax; fall through to the platform default.
  return undefined
}

function lines(list: readonly string[], eol = '\n'): string {
  return list.map((line) => `${line}${eol}`).join('')
}

function checkNames(names: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of names) {
    if (!NAME_PATTERN.test(name)) {
      throw new InvalidInputError(`"${name}" is not a usable environment variable name.`, {hint: 'Use letters, digits and _, not starting with a digit.'})
    }
    // Duplicates would mean "last one wins" in shells but a silent drop in JSON: refuse both alike.
    if (seen.has(name)) throw new InvalidInputError(`${name} is listed twice.`)
    seen.add(name)
  }
}

/**
 * Characters a format cannot carry, with the reason shown to the user. Checked before rendering so a refusal
 * never leaves half a script on stdout. Values are secrets: messages name the variable and the character only.
 */
function checkValue(name: string, value: string, shell: ShellFormat): void {
  const refuse = (what: string, why: string): never => {
    throw new InvalidInputError(`Cannot write ${name} in ${shell} syntax: its value contains ${what}, ${why}.`, {advice: {kind: 'shell-cannot-carry'}})
  }
  // The process environment is a list of C strings: no format can hand a NUL through it.
  if (value.includes('\0')) refuse('a NUL character', 'which no environment variable can hold')
  switch (shell) {
    case 'sh':
    case 'bash':
    case 'zsh':
    case 'fish':
    case 'json':
      // Single quotes in these shells (and JSON strings) carry every other character, newlines included.
      return
    case 'powershell':
      // A single-quoted string may span lines, but `… | Invoke-Expression` receives the output line by line and
      // would run each half on its own.
      if (/[\r\n]/.test(value)) refuse('a line break', 'and `| Invoke-Expression` runs each output line separately')
      return
    case 'cmd':
      checkCmdValue(value, refuse)
      return
    case 'dotenv':
      checkDotenvValue(value, refuse)
      return
  }
}

/**
 * cmd.exe and `set "NAME=value"`: inside the double quotes, `& | < > ( ) ^` are literal, both at the prompt and in
 * a batch file, and `set` drops the outer quotes. What cannot be written safely:
 * - `%`: a batch file turns `%%` into `%` and `%X%` into X's value (or nothing); the prompt leaves `%%` alone and
 *   keeps an undefined `%X%` literally. No spelling gives the same value in both places.
 * - `!`: with delayed expansion on (`setlocal EnableDelayedExpansion`, `cmd /V:ON`) `!X!` expands, and a line
 *   containing `!` also has its carets processed again. Refusing `!` keeps `^` literal in every mode.
 * - `"`: each quote toggles cmd's quoting, so everything after an embedded quote is parsed unquoted (`&` would
 *   start a new command).
 * - line breaks and other control characters: a line break ends the command, and Ctrl-Z (0x1A) ends a batch file.
 */
function checkCmdValue(value: string, refuse: (what: string, why: string) => never): void {
  if (value.includes('%')) refuse('%', 'which cmd.exe expands differently in a batch file and at the prompt')
  if (value.includes('!')) refuse('!', 'which cmd.exe expands when delayed expansion is on')
  if (value.includes('"')) refuse('a double quote', 'which would end the quoting of `set "NAME=…"`')
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  if (/[\x00-\x1f\x7f]/.test(value)) refuse('a control character or line break', 'which cmd.exe cannot take inside `set`')
}

/**
 * dotenv: there is no spec, and the parsers disagree on escapes. The three that matter here:
 * - npm `dotenv`: `'…'` literal; `"…"` literal except `\n`, `\r`; no `$` expansion (dotenv-expand, often paired
 *   with it, expands `$NAME` and `${NAME}`).
 * - docker compose (compose-go): `'…'` literal; `"…"` with backslash escapes and `$NAME` interpolation; a `\'`
 *   inside `'…'` does not end the value, so a value ending in `\` never terminates.
 * - python-dotenv: `'…'` with `\\` → `\` and `\'` → `'`; `"…"` with backslash escapes; `${NAME}` interpolated in
 *   both quote styles (checked against python-dotenv 1.2.2).
 * So: single quotes, where all three read the bytes literally as long as the value has no `'`, no `$` and no
 * backslash before `\`, `'` or the end. A value with `'` (e.g. the user id `o'brien@cli`) goes in double quotes
 * instead, which all three read literally when there is no `"`, `\` or `$`. Anything else is refused, as are line
 * breaks: multi-line values are where the parsers differ most, and PVE values never contain them.
 */
function checkDotenvValue(value: string, refuse: (what: string, why: string) => never): void {
  if (/[\r\n]/.test(value)) refuse('a line break', 'which the dotenv parsers read differently')
  if (value.includes('$')) refuse('$', 'which docker compose, python-dotenv and dotenv-expand would expand')
  if (!value.includes("'")) {
    if (/\\(\\|'|$)/.test(value)) refuse('a backslash before \\, \' or the end', 'which the dotenv parsers read differently inside single quotes')
    return
  }
  if (value.includes('"') || value.includes('\\')) {
    refuse('a single quote together with a double quote or backslash', 'which no quoting carries the same way in npm dotenv, docker compose and python-dotenv')
  }
}

/** sh, bash, zsh: single quotes carry everything but `'`, which is written as `'\''` (close, escaped quote, reopen). */
function posixQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** fish: inside single quotes only `\\` and `\'` are escapes; every other backslash is literal. */
function fishQuote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/**
 * PowerShell: a single-quoted string is literal (no `$`, no backtick escapes). Its tokenizer treats the
 * typographic quotes U+2018, U+2019, U+201A and U+201B as single quotes too, and a pair of any two of them stands
 * for the second one, so each of these characters is doubled.
 */
function powershellQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (quote) => quote + quote)}'`
}

/** See checkDotenvValue for why this choice of quotes is safe for the values that get here. */
function dotenvQuote(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`
}
