// Writes oclif.manifest.json from the built commands, so the CLI does not import every command module on each run
// to learn their flags (measured: a no-op command runs 4.2x `node -e 0` without the manifest, 2.5x with it).
// The oclif dev CLI would do the same but adds ~186 packages; @oclif/core's Plugin class is all it takes.
import {writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import {Flags, Plugin} from '@oclif/core'

import {COMMANDS} from '../dist/commands/index.js'
import {writeCodeCache} from './code-cache.js'
import {bundleFastPath, FAST_PATH_DIR, FAST_PATH_FILE} from './fast-path-bundle.js'
import {bundleLibrary, LIBRARY_DIR, LIBRARY_FILE} from './library-bundle.js'
import {renderHelpTexts} from './help-text.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
await writeFile(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2) + '\n')

// The fast path (src/cli/fast-path.ts) needs only the flags and arguments of the commands it serves (env, ticket, status, api, login), and only the fields its parser reads:
// a 1 KiB table instead of parsing the 50 KiB manifest on every `pve-login env`.
const FAST_PATH_COMMANDS = ['env', 'ticket', 'status', 'api', 'login'] // as FAST_COMMAND_IDS there
const FLAG_FIELDS = ['name', 'type', 'char', 'env', 'default', 'options', 'multiple', 'multipleNonGreedy', 'delimiter', 'allowNo', 'exclusive', 'integer']
// Every Flags.integer() shares this parse function.
const INTEGER_PARSE = Flags.integer().parse
const table = {}
for (const id of FAST_PATH_COMMANDS) {
  const command = plugin.manifest.commands[id]
  const args = Object.entries(command.args ?? {})
  // The fast path takes required arguments only (api's PATH); a command with an optional one stays with oclif.
  if (args.some(([, arg]) => !arg.required)) continue
  table[id] = {
    flags: Object.values(command.flags).map((manifestFlag) => {
      // The manifest leaves out multipleNonGreedy and what makes a flag an integer, with its bounds; the class has them.
      const classFlag = COMMANDS[id]?.flags?.[manifestFlag.name]
      const integer = classFlag?.parse === INTEGER_PARSE ? Object.fromEntries(['min', 'max'].filter((bound) => classFlag[bound] !== undefined).map((bound) => [bound, classFlag[bound]])) : undefined
      // The manifest also drops a boolean's default (login's --browser is true unless --no-browser).
      const staticDefault = typeof classFlag?.default === 'function' ? undefined : classFlag?.default
      const flag = {default: staticDefault, ...manifestFlag, multipleNonGreedy: classFlag?.multipleNonGreedy, integer}
      return Object.fromEntries(FLAG_FIELDS.filter((field) => flag[field] !== undefined).map((field) => [field, flag[field]]))
    }),
    args: args.map(([name]) => name),
  }
}
await writeFile(new URL('../dist/cli/fast-path-flags.json', import.meta.url), JSON.stringify(table) + '\n')
process.stderr.write(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands\n`)

// After the table: the bundle copies it.
await bundleFastPath()
writeCodeCache(new URL(FAST_PATH_FILE, FAST_PATH_DIR), 'fast-path')
await bundleLibrary()
writeCodeCache(new URL(LIBRARY_FILE, LIBRARY_DIR), 'library')
// Last: oclif renders the help texts from everything above.
const helpTexts = await renderHelpTexts(Object.keys(plugin.manifest.commands).filter((id) => /^[a-z][a-z-]*$/.test(id)))
process.stderr.write(`dist/help: ${helpTexts} help texts\n`)
