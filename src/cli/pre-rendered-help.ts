/**
 * `pve-login --help` and `pve-login COMMAND --help` without oclif. oclif starts at ~2.5× `node -e 0` just to print
 * text that only changes with a release, so the build has oclif itself render each help text once
 * (scripts/help-text.js writes dist/help/) and this prints it. The text is exactly oclif's for output that is not a
 * terminal (80 columns, no colour); anything else (a terminal's width and colours, FORCE_COLOR, OCLIF_* settings,
 * debugging, any other argv) is left to oclif, as is everything when the build did not render the texts.
 */
import {fstatSync, readFileSync} from 'node:fs'

/** Where the build put the platform and Node version of oclif's VERSION line, which differ between machines. */
export const PLATFORM_MARK = '\u0000platform\u0000'

const HELP_FLAGS = new Set(['--help', '-h'])

/** Which rendered text answers this argv (`root` for the root help), or undefined when oclif must. */
export function helpTextName(argv: readonly string[]): string | undefined {
  if (argv.length === 1 && HELP_FLAGS.has(argv[0]!)) return 'root'
  if (argv.length === 2 && /^[a-z][a-z-]*$/.test(argv[0]!) && HELP_FLAGS.has(argv[1]!)) return argv[0]
  return undefined
}

/** Whether oclif would render this environment's help as it did at build time. */
function renderedAlike(env: NodeJS.ProcessEnv): boolean {
  if (env['FORCE_COLOR'] !== undefined) return false
  if (Object.keys(env).some((name) => name.startsWith('OCLIF_') || name === 'DEBUG' || name.endsWith('_DEBUG'))) return false
  try {
    // A terminal gets its own width and colours from oclif; fstat is enough to know stdout is none (no node:tty).
    return !fstatSync(1).isCharacterDevice()
  } catch {
    return false
  }
}

/** Prints the rendered help for argv; false (nothing written) when oclif has to. */
export function printPreRenderedHelp(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const name = helpTextName(argv)
  if (name === undefined || !renderedAlike(env)) return false
  let text: string
  try {
    text = readFileSync(new URL(`../help/${name}.txt`, import.meta.url), 'utf8')
  } catch {
    return false
  }
  process.stdout.write(text.replaceAll(PLATFORM_MARK, `${process.platform}-${process.arch} node-${process.version}`))
  return true
}
