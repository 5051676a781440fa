// Renders every help text with oclif itself, for src/cli/pre-rendered-help.ts to print without loading oclif:
// `pve-login --help` and `pve-login COMMAND --help`, each as oclif prints it to a pipe (80 columns, no colour),
// into dist/help/. Whatever the commands and the help class say at build time is what gets printed.
import {spawnSync} from 'node:child_process'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

const HELP_DIR = new URL('../dist/help/', import.meta.url)
const RUN = fileURLToPath(new URL('../bin/run.cjs', import.meta.url))
const PLATFORM_MARK = '\u0000platform\u0000'

export async function renderHelpTexts(commandIds) {
  // Removed first: without the texts, bin/run.cjs hands --help to oclif, which is what has to render them here.
  await rm(HELP_DIR, {recursive: true, force: true})
  const env = {PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8'}
  const texts = {}
  for (const [name, argv] of [['root', ['--help']], ...commandIds.map((id) => [id, [id, '--help']])]) {
    const result = spawnSync(process.execPath, [RUN, ...argv], {env, encoding: 'utf8'})
    // Only a clean rendering is kept; anything else stays with oclif at run time.
    if (result.status !== 0 || result.stderr !== '' || result.stdout === '') continue
    texts[name] = result.stdout.replaceAll(`${process.platform}-${process.arch} node-${process.version}`, PLATFORM_MARK)
  }
  await mkdir(HELP_DIR, {recursive: true})
  for (const [name, text] of Object.entries(texts)) await writeFile(new URL(`${name}.txt`, HELP_DIR), text)
  return Object.keys(texts).length
}
