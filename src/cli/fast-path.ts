/**
 * `pve-login env`, `ticket`, `status`, `api` and `login` without oclif. Scripts call the first four on every run, and
 * loading the CLI framework costs more than the work itself when the ticket is cached (measured on a 2-core Linux
 * machine: an oclif command starts at ~2.5× `node -e 0`, a framework-free path at ~1.1×); a login's time to the
 * browser is felt. The flags come from oclif.manifest.json,
 * which the build writes from the command classes (and, for this path, a small table of these commands' flags
 * and arguments cut from it: dist/cli/fast-path-flags.json), so both paths accept exactly the same flags. Anything this
 * parser is not sure about (unknown flags, help, bad values, conflicts) is left to oclif, which explains it.
 */
import {readFileSync} from 'node:fs'
import type {ParseArgsConfig} from 'node:util'

import type {CommandResult} from './command-result.js'
import {runCommand} from './command-run.js'
import {processIO, wantsJson, type CliIO} from './io.js'
import type {EnvFlags, TicketFlags} from './script-output.js'
import type {StatusFlags} from './status-result.js'
import type {ApiFlags} from './api-result.js'
import type {LoginFlags} from './login-result.js'

export {flushProcessOutput} from './io.js'

/** A flag as oclif.manifest.json describes it (the fields this parser reads). */
export interface ManifestFlag {
  name: string
  type: 'boolean' | 'option'
  char?: string
  env?: string
  default?: unknown
  options?: string[]
  multiple?: boolean
  /** One value per occurrence (api's -f); without it oclif lets a multiple flag take the words that follow. */
  multipleNonGreedy?: boolean
  delimiter?: string
  allowNo?: boolean
  exclusive?: string[]
  /** oclif's Flags.integer, with its bounds: the build's table records them (the manifest does not). */
  integer?: {min?: number; max?: number}
}

/** A command as the fast path needs to know it: its flags, and the names of its arguments (all required). */
export interface CommandShape {
  flags: ManifestFlag[]
  args: string[]
}

/** An argv as oclif would parse it. */
export interface ParsedArgv {
  flags: Record<string, unknown>
  args: string[]
}

type FastCommand = (argv: ParsedArgv, signal: AbortSignal, io: CliIO) => Promise<CommandResult>

/** The commands served here; scripts/oclif-manifest.js writes the flag table for the same list. */
export const FAST_COMMAND_IDS = ['env', 'ticket', 'status', 'api', 'login'] as const
type FastCommandId = (typeof FAST_COMMAND_IDS)[number]

// Each command loads only its own modules: a cached `env` must not pay for parsing an API request or drawing a table.
const FAST_COMMANDS: Record<FastCommandId, FastCommand> = {
  env: async ({flags}, signal, io) => (await import('./script-output.js')).envResult(flags as EnvFlags, signal, io),
  ticket: async ({flags}, signal, io) => (await import('./script-output.js')).ticketResult(flags as TicketFlags, signal, io),
  status: async ({flags}, _signal, io) => (await import('./status-result.js')).statusResult(flags as StatusFlags, io),
  api: async ({flags, args}, signal, io) => (await import('./api-result.js')).apiResult(args[0]!, flags as ApiFlags, signal, io),
  // A login waits for a person anyway, but the time to the browser is felt: oclif's start-up is a fifth of it.
  login: async ({flags}, signal, io) => (await import('./login-result.js')).loginResult(flags as unknown as LoginFlags, signal, io),
}

function isFastCommand(id: string | undefined): id is FastCommandId {
  return (FAST_COMMAND_IDS as readonly (string | undefined)[]).includes(id)
}

/** Runs the command when the fast path can; false means "let oclif do it" (nothing was written). */
export async function runFastPath(argv: string[], io: CliIO = processIO()): Promise<boolean> {
  const [id, ...args] = argv
  if (!isFastCommand(id)) return false
  const parsed = parseFastPathArgv(id, args, io.env)
  if (!parsed) return false
  await runCommand(io, (signal) => FAST_COMMANDS[id](parsed, signal, io), {json: wantsJson(args)})
  return true
}

/**
 * The flags and arguments of a fast-path command as oclif would parse them, or undefined when the fast path leaves
 * the argv to oclif. Exported for the table test that holds the two parsers to the same answers.
 */
export function parseFastPathArgv(id: string, args: string[], env: NodeJS.ProcessEnv): ParsedArgv | undefined {
  const shape = readCommandShape(id)
  return shape && parseArgv(shape, args, env)
}

/** parseFastPathArgv's flags, for a command without arguments. */
export function parseFastPathFlags(id: string, args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  return parseFastPathArgv(id, args, env)?.flags
}

/** The build's flag table as JSON, written into the fast-path bundle (scripts/fast-path-bundle.js); undefined elsewhere. */
declare const BUNDLED_FAST_PATH_FLAGS: string | undefined

function readCommandShape(id: string): CommandShape | undefined {
  // The bundle has the table in its code: reading a file for it was a tenth of a cached `env`'s own time. The tsc
  // build reads it next to the module; from the sources (tests) the manifest is read instead.
  const table =
    typeof BUNDLED_FAST_PATH_FLAGS === 'undefined'
      ? readJson<Record<string, CommandShape>>(new URL('./fast-path-flags.json', import.meta.url))
      : (JSON.parse(BUNDLED_FAST_PATH_FLAGS) as Record<string, CommandShape>)
  if (table) return table[id]
  // No manifest either (a development checkout before `npm run build`): oclif reads the classes instead.
  const manifest = readJson<{commands: Record<string, {flags: Record<string, ManifestFlag>; args?: Record<string, {required?: boolean}>}>}>(
    new URL('../../oclif.manifest.json', import.meta.url),
  )
  const command = manifest?.commands[id]
  if (!command) return undefined
  // An integer flag's bounds are only in the table: without them, such a command goes to oclif.
  if (Object.values(command.flags).some((flag) => typeof flag.default === 'number')) return undefined
  const args = Object.entries(command.args ?? {})
  // An optional argument would need oclif's rules for what is left out; such a command goes to oclif.
  if (args.some(([, arg]) => !arg.required)) return undefined
  return {flags: Object.values(command.flags), args: args.map(([name]) => name)}
}

function readJson<T>(url: URL): T | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** The fast path's parser over manifest flags: oclif's answer, or undefined to let oclif give it. */
export function parseFlags(manifestFlags: ManifestFlag[], args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  return parseArgv({flags: manifestFlags, args: []}, args, env)?.flags
}

/** The parser over a command's shape (the build's table, or the manifest): oclif's answer, or undefined to let oclif give it. */
export function parseArgv(shape: CommandShape, args: string[], env: NodeJS.ProcessEnv): ParsedArgv | undefined {
  const manifestFlags = shape.flags
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const flag of manifestFlags) {
    options[flag.name] = {type: flag.type === 'boolean' ? 'boolean' : 'string', multiple: flag.multiple === true, ...(flag.char ? {short: flag.char} : {})}
    if (flag.allowNo) options[`no-${flag.name}`] = {type: 'boolean'}
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  let positionals: string[]
  if (args.every((arg) => !arg.startsWith('-'))) {
    // `pve-login env` as most scripts call it, or `pve-login api /version`: no flags, so node:util's parser (~1 ms
    // to load) has nothing to do; every word is an argument, as it would say.
    ;[values, positionals] = [{}, [...args]]
  } else {
    try {
      ;({values, positionals} = process.getBuiltinModule('node:util').parseArgs({args, options, strict: true, allowPositionals: shape.args.length > 0}))
    } catch {
      return undefined
    }
  }
  // Every argument is required, and oclif refuses extra words: anything but the exact count is oclif's to explain.
  if (positionals.length !== shape.args.length) return undefined
  // A greedy multiple flag would have taken a word that parseArgs calls an argument: oclif decides then.
  if (positionals.length > 0 && manifestFlags.some((flag) => flag.multiple && !flag.multipleNonGreedy && values[flag.name] !== undefined)) return undefined
  const flags: Record<string, unknown> = {}
  for (const flag of manifestFlags) {
    let value: unknown = values[flag.name]
    if (flag.allowNo && values[`no-${flag.name}`] === true) value = false
    // As oclif does: an env-backed boolean is true for 1/true/y/yes (any case), false for anything else that is set.
    if (value === undefined && flag.env && env[flag.env]) value = flag.type === 'boolean' ? ['1', 'true', 'y', 'yes'].includes(env[flag.env]!.toLowerCase()) : env[flag.env]
    if (value === undefined) value = flag.default
    if (value === undefined) continue
    if (flag.multiple && Array.isArray(value)) {
      value = value.flatMap((item) => (flag.delimiter ? String(item).split(flag.delimiter) : [String(item)])).map((item) => item.trim())
    }
    const chosen = Array.isArray(value) ? value : [value]
    if (flag.options && chosen.some((item) => !flag.options!.includes(String(item)))) return undefined
    if (flag.integer && typeof value === 'string') {
      // As oclif's Flags.integer reads it; anything it would refuse is its to explain.
      const number = /^-?\d+$/.test(value) ? Number.parseInt(value, 10) : Number.NaN
      const {min, max} = flag.integer
      if (Number.isNaN(number) || (min !== undefined && number < min) || (max !== undefined && number > max)) return undefined
      value = number
    }
    flags[flag.name] = value
  }
  for (const flag of manifestFlags) {
    if (values[flag.name] !== undefined && flag.exclusive?.some((other) => values[other] !== undefined)) return undefined
  }
  return {flags, args: positionals}
}
