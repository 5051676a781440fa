/**
 * `pve-login env` and `pve-login ticket` without oclif. Scripts call them on every run, and loading the CLI
 * framework costs more than the work itself when the ticket is cached (shared/reference/toolchain.md: an oclif
 * command starts at ~2.5× `node -e 0`, a framework-free path at ~1.1×). The flags come from oclif.manifest.json,
 * which the build writes from the command classes, so both paths accept exactly the same flags. Anything this
 * parser is not sure about (unknown flags, help, bad values, conflicts) is left to oclif, which explains it.
 */
import {readFileSync} from 'node:fs'
import {parseArgs, type ParseArgsConfig} from 'node:util'

import {runCommand} from './command-run.js'
import {writeEnv, writeTicket, type EnvFlags, type TicketFlags} from './script-output.js'

interface ManifestFlag {
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

const FAST_COMMANDS = {
  env: (flags: Record<string, unknown>, signal: AbortSignal) => writeEnv(flags as EnvFlags, signal),
  ticket: (flags: Record<string, unknown>, signal: AbortSignal) => writeTicket(flags as TicketFlags, signal),
} as const

/** Runs the command when the fast path can; false means "let oclif do it" (nothing was written). */
export async function runFastPath(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [id, ...args] = argv
  if (id !== 'env' && id !== 'ticket') return false
  const manifestFlags = readManifestFlags(id)
  if (!manifestFlags) return false
  const flags = parseFlags(manifestFlags, args, env)
  if (!flags) return false
  await runCommand((signal) => FAST_COMMANDS[id](flags, signal), {json: flags['json'] === true})
  return true
}

function readManifestFlags(id: string): ManifestFlag[] | undefined {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
      commands: Record<string, {flags: Record<string, ManifestFlag>}>
    }
    const command = manifest.commands[id]
    return command ? Object.values(command.flags) : undefined
  } catch {
    // No manifest (a development checkout before `npm run build`): oclif reads the classes instead.
    return undefined
  }
}

function parseFlags(manifestFlags: ManifestFlag[], args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
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
    if (value === undefined && flag.env && env[flag.env]) value = flag.type === 'boolean' ? undefined : env[flag.env]
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
