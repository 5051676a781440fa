/**
 * `pve-login env` and `pve-login ticket` without oclif. Scripts call them on every run, and loading the CLI
 * framework costs more than the work itself when the ticket is cached (measured on a 2-core Linux machine: an oclif
 * command starts at ~2.5× `node -e 0`, a framework-free path at ~1.1×). The flags come from oclif.manifest.json,
 * which the build writes from the command classes (and, for this path, a small table of env's and ticket's flags
 * cut from it: dist/cli/fast-path-flags.json), so both paths accept exactly the same flags. Anything this
 * parser is not sure about (unknown flags, help, bad values, conflicts) is left to oclif, which explains it.
 */
import {readFileSync} from 'node:fs'
import {parseArgs, type ParseArgsConfig} from 'node:util'

import type {CommandResult} from './command-result.js'
import {runCommand} from './command-run.js'
import {processIO, wantsJson, type CliIO} from './io.js'
import {envResult, ticketResult, type EnvFlags, type TicketFlags} from './script-output.js'

/** A flag as oclif.manifest.json describes it (the fields this parser reads). */
export interface ManifestFlag {
  name: string
  type: 'boolean' | 'option'
  char?: string
  env?: string
  default?: unknown
  options?: string[]
  multiple?: boolean
  delimiter?: string
  allowNo?: boolean
  exclusive?: string[]
}

type FastCommand = (flags: Record<string, unknown>, signal: AbortSignal, io: CliIO) => Promise<CommandResult>

const FAST_COMMANDS: Record<'env' | 'ticket', FastCommand> = {
  env: (flags, signal, io) => envResult(flags as EnvFlags, signal, io),
  ticket: (flags, signal, io) => ticketResult(flags as TicketFlags, signal, io),
}

/** Runs the command when the fast path can; false means "let oclif do it" (nothing was written). */
export async function runFastPath(argv: string[], io: CliIO = processIO()): Promise<boolean> {
  const [id, ...args] = argv
  if (id !== 'env' && id !== 'ticket') return false
  const flags = parseFastPathFlags(id, args, io.env)
  if (!flags) return false
  await runCommand(io, (signal) => FAST_COMMANDS[id](flags, signal, io), {json: wantsJson(args)})
  return true
}

/**
 * The flags of `env` or `ticket` as oclif would parse them, or undefined when the fast path leaves the argv to oclif.
 * Exported for the table test that holds the two parsers to the same answers.
 */
export function parseFastPathFlags(id: string, args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const manifestFlags = readManifestFlags(id)
  return manifestFlags && parseFlags(manifestFlags, args, env)
}

function readManifestFlags(id: string): ManifestFlag[] | undefined {
  // The build writes this table next to the built module; from the sources (tests) the manifest is read instead.
  const table = readJson<Record<string, ManifestFlag[]>>(new URL('./fast-path-flags.json', import.meta.url))
  if (table) return table[id]
  // No manifest either (a development checkout before `npm run build`): oclif reads the classes instead.
  const manifest = readJson<{commands: Record<string, {flags: Record<string, ManifestFlag>}>}>(new URL('../../oclif.manifest.json', import.meta.url))
  const command = manifest?.commands[id]
  return command ? Object.values(command.flags) : undefined
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
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const flag of manifestFlags) {
    options[flag.name] = {type: flag.type === 'boolean' ? 'boolean' : 'string', multiple: flag.multiple === true, ...(flag.char ? {short: flag.char} : {})}
    if (flag.allowNo) options[`no-${flag.name}`] = {type: 'boolean'}
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    values = parseArgs({args, options, strict: true, allowPositionals: false}).values
  } catch {
    return undefined
  }
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
    flags[flag.name] = value
  }
  for (const flag of manifestFlags) {
    if (values[flag.name] !== undefined && flag.exclusive?.some((other) => values[other] !== undefined)) return undefined
  }
  return flags
}
