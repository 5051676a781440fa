import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, test} from '@jest/globals'

import {EXIT} from '../src/cli/exit-codes.js'

/**
 * The docs keep their promises: every exit code and error code is explained where people look when something
 * failed, every relative link leads somewhere, and every IdP the setup guides promise has its guide.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

function markdownFiles(directory: string): string[] {
  return readdirSync(join(ROOT, directory)).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(join(ROOT, path)).isDirectory()) return markdownFiles(path)
    return name.endsWith('.md') ? [path] : []
  })
}

/** GitHub's heading anchors: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const slugs = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    slugs.add(count ? `${base}-${count}` : base)
  }
  return slugs
}

/** The string literals of the PveLoginErrorCode union in src/errors.ts. */
function errorCodes(): string[] {
  const block = /export type PveLoginErrorCode =([^]*?)\n\n/.exec(read('src/errors.ts'))?.[1] ?? ''
  return [...block.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1]!)
}

describe('docs/troubleshooting.md', () => {
  const troubleshooting = read('docs/troubleshooting.md')

  test.each(Object.entries(EXIT))('explains exit code %s (%i)', (_name, code) => {
    expect(troubleshooting).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'))
  })

  test('explains every error code', () => {
    const codes = errorCodes()
    expect(codes.length).toBeGreaterThan(10)
    expect(codes.filter((code) => !troubleshooting.includes(`\`${code}\``))).toEqual([])
  })
})

describe('links', () => {
  const files = ['README.md', ...markdownFiles('docs')]

  test.each(files)('every relative link in %s resolves', (file) => {
    const text = read(file).replace(/```[\s\S]*?```/g, '')
    const broken: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue
      const [path, anchor] = target!.split('#') as [string, string | undefined]
      const destination = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(path))
      if (!existsSync(destination)) {
        broken.push(`${target} (no ${relative(ROOT, destination)})`)
        continue
      }
      if (anchor && destination.endsWith('.md') && !anchors(readFileSync(destination, 'utf8')).has(anchor)) broken.push(`${target} (no heading #${anchor})`)
    }
    expect(broken).toEqual([])
  })
})

describe('docs/setup', () => {
  test.each([
    ['Microsoft Entra ID', 'entra-id.md'],
    ['Keycloak', 'keycloak.md'],
    ['Authelia', 'authelia.md'],
    ['authentik', 'authentik.md'],
    ['Okta', 'okta.md'],
    ['Google', 'google.md'],
    ['ZITADEL', 'zitadel.md'],
    ['kanidm', 'kanidm.md'],
    ['Pocket ID', 'pocket-id.md'],
    ['Dex', 'dex.md'],
    ['a generic OpenID provider', 'generic.md'],
    ['the two-realm setup', 'pve-realms.md'],
    ['the index', 'README.md'],
  ])('%s has its guide (%s), linked from the index', (_idp, file) => {
    expect(existsSync(join(ROOT, 'docs', 'setup', file))).toBe(true)
    if (file !== 'README.md') expect(read('docs/setup/README.md')).toContain(`(${file})`)
  })

  test('README and docs/login.md link the guides', () => {
    expect(read('README.md')).toMatch(/\]\(docs\/setup\/(README\.md)?\)/)
    expect(read('docs/login.md')).toMatch(/\]\(setup\/(README\.md)?\)/)
  })
})
