/**
 * The guides that ship in the package's docs/ folder, by topic name, so help texts and hints can point an installed
 * user at something they can open: `pve-login docs troubleshooting` prints docs/troubleshooting.md, `pve-login docs`
 * lists them all with the folder they live in. Topics are the file names without `.md`; a guide under docs/setup/ is
 * `setup/okta` or just `okta`, and a folder's README.md is the folder's own topic (`setup`).
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {InvalidInputError} from '../errors.js'
import {closestMatch} from './closest-match.js'

/** docs/ next to dist/ in the installed package (and in a checkout). */
export const DOCS_DIRECTORY = fileURLToPath(new URL('../../docs', import.meta.url))

export interface DocTopic {
  /** `login`, `setup`, `setup/okta`. */
  name: string
  /** The file's first heading, without the `#`. */
  title: string
  path: string
}

export function docTopics(directory: string = DOCS_DIRECTORY): DocTopic[] {
  if (!existsSync(directory)) return []
  const topics: DocTopic[] = []
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) visit(path)
      else if (entry.name.endsWith('.md')) topics.push({name: topicName(relative(directory, path)), title: firstHeading(path), path})
    }
  }
  visit(directory)
  // A folder's own topic (its README) comes before the guides in it.
  return topics.sort((a, b) => a.name.localeCompare(b.name))
}

function topicName(relativePath: string): string {
  const name = relativePath.split(sep).join('/').replace(/\.md$/, '')
  return name.endsWith('/README') ? name.slice(0, -'/README'.length) : name
}

function firstHeading(path: string): string {
  const heading = /^#\s+(.+)$/m.exec(readFileSync(path, 'utf8'))
  return heading ? heading[1]!.replace(/`/g, '').trim() : ''
}

/**
 * The topic a person asked for: `troubleshooting`, `troubleshooting.md`, `docs/troubleshooting.md`, `setup/okta` or
 * `okta` (a guide's own name when no other topic has it). Unknown: an InvalidInputError naming the closest topic.
 */
export function findDocTopic(query: string, topics: readonly DocTopic[] = docTopics()): DocTopic {
  const wanted = query.trim().replace(/^(\.\/)?docs\//, '').replace(/\.md$/i, '').replace(/\/README$/i, '').toLowerCase()
  const exact = topics.find((topic) => topic.name.toLowerCase() === wanted)
  if (exact) return exact
  const byLastPart = topics.filter((topic) => topic.name.split('/').pop()!.toLowerCase() === wanted)
  if (byLastPart.length === 1) return byLastPart[0]!
  const suggestion = closestMatch(wanted, topics.map((topic) => topic.name))
  throw new InvalidInputError(`There is no guide called "${query}".`, {
    hint: `${suggestion ? `Did you mean \`pve-login docs ${suggestion}\`? ` : ''}\`pve-login docs\` lists them all.`,
  })
}

/**
 * Hints and help texts that name a guide the way the repository does (`docs/login.md`) become a command an installed
 * user can run (`pve-login docs login`). The library keeps the file names: a library user finds them in the package.
 */
export function docReferencesForCli(text: string): string {
  return text.replace(/`?(?:\.\/)?docs\/([a-z0-9-]+(?:\/[a-z0-9-]+)?)\.md`?/gi, (_match, name: string) => `\`pve-login docs ${name.replace(/\/README$/i, '')}\``)
}
