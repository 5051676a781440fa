/**
 * What bin/run.cjs checks before handing a command line to oclif, from the manifests alone (no command is loaded):
 * - `pve-login help [COMMAND|GUIDE]` means `--help`, `COMMAND --help` or `docs GUIDE` (oclif 4 has no help command);
 * - a first word that is no command (`lgoin`) gets pve-login's one-line error and the closest command, not oclif's
 *   bare "command lgoin not found";
 * - a word after a command that takes no arguments (`login extra-arg`) is named as such: oclif would glue the two
 *   into a command id and report "command login:extra-arg not found".
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {InvalidInputError} from '../errors.js'
import type {CommandShape} from './usage-error.js'

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface ManifestCommand {
  id: string
  strict?: boolean
  args?: Record<string, {name: string; description?: string}>
  flags?: Record<string, {name: string; char?: string; allowNo?: boolean}>
}

interface Manifest {
  commands: Record<string, ManifestCommand>
}

export type CommandLineVerdict = {kind: 'run'; argv: string[]} | {kind: 'error'; error: InvalidInputError}

function readManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest
}

/** The plugins' manifests (`@oclif/plugin-autocomplete`…), found from their entry points: their exports hide package.json. */
function pluginManifests(): Manifest[] {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {oclif?: {plugins?: string[]}}
  const require = createRequire(join(PACKAGE_ROOT, 'package.json'))
  const manifests: Manifest[] = []
  for (const plugin of pkg.oclif?.plugins ?? []) {
    try {
      let directory = dirname(require.resolve(plugin))
      while (!existsSync(join(directory, 'oclif.manifest.json')) && dirname(directory) !== directory) directory = dirname(directory)
      const manifest = readManifest(join(directory, 'oclif.manifest.json'))
      if (manifest) manifests.push(manifest)
    } catch {
      // A plugin that cannot be found is oclif's to report.
    }
  }
  return manifests
}

/** The command's flags as a person types them: `--server`, `-s`, `--no-browser`. */
export function flagSpellings(command: ManifestCommand): string[] {
  return Object.values(command.flags ?? {}).flatMap((flag) => [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : []), ...(flag.allowNo ? [`--no-${flag.name}`] : [])])
}

export function commandShape(command: ManifestCommand): CommandShape {
  return {id: command.id, flagNames: flagSpellings(command), args: Object.values(command.args ?? {})}
}

/**
 * Checks (and for `help`, rewrites) argv after the default-command step. It runs before every oclif command, so the
 * wording and the guides are loaded only when there is something to say.
 */
export async function checkCommandLine(argv: readonly string[]): Promise<CommandLineVerdict> {
  const own = readManifest(join(PACKAGE_ROOT, 'oclif.manifest.json'))
  // Without a manifest (a checkout before its first build) oclif finds the commands itself; leave it to it.
  if (!own) return {kind: 'run', argv: [...argv]}
  const commands = new Map(Object.values(own.commands).map((command) => [command.id, command]))
  const ids = [...commands.keys(), ...pluginManifests().flatMap((manifest) => Object.keys(manifest.commands))]
  // Space-separated topics: `autocomplete:create` is typed `autocomplete create`, so its first word counts.
  const firstWords = new Set(ids.map((id) => id.split(':')[0]!))

  const [first, ...rest] = argv
  if (first === undefined || first.startsWith('-')) return {kind: 'run', argv: [...argv]}

  if (first === 'help') {
    const [subject, ...more] = rest
    if (subject === undefined) return {kind: 'run', argv: ['--help']}
    if (firstWords.has(subject)) return {kind: 'run', argv: [subject, ...more, '--help']}
    const {docTopics, findDocTopic} = await import('./doc-topics.js')
    const {unknownCommand} = await import('./usage-error.js')
    try {
      return {kind: 'run', argv: ['docs', findDocTopic(subject, docTopics()).name]}
    } catch {
      return {kind: 'error', error: unknownCommand(subject, [...firstWords, ...docTopics().map((topic) => topic.name)])}
    }
  }

  if (!firstWords.has(first)) {
    const {unknownCommand} = await import('./usage-error.js')
    return {kind: 'error', error: unknownCommand(first, [...firstWords, 'help'])}
  }

  const command = commands.get(first)
  const next = rest[0]
  // oclif joins words after a command without arguments into one id; a word there is an argument the command refuses.
  if (command && command.strict !== false && Object.keys(command.args ?? {}).length === 0 && next !== undefined && next !== '--' && !next.startsWith('-')) {
    const firstFlag = rest.findIndex((word) => word.startsWith('-'))
    const words = firstFlag === -1 ? rest : rest.slice(0, firstFlag)
    const {unexpectedArguments} = await import('./usage-error.js')
    return {kind: 'error', error: unexpectedArguments(commandShape(command), words)}
  }
  return {kind: 'run', argv: [...argv]}
}

/** The manifest entry for a command, for the parser-error rewrite in the command classes. */
export function manifestCommand(id: string): ManifestCommand | undefined {
  return readManifest(join(PACKAGE_ROOT, 'oclif.manifest.json'))?.commands[id]
}
