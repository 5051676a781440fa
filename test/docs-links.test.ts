/** README and docs/ link every doc they mention, and every relative link (and its #anchor) resolves. */
import {describe, expect, test} from '@jest/globals'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function markdownFiles(directory: string): string[] {
  return readdirSync(directory, {withFileTypes: true}).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return markdownFiles(path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]

/**
 * The names a text may use for one of our docs: `docs/setup/okta.md`, `setup/okta.md`, `okta.md`. Paths of other
 * projects' files (an IdP's `docs/…/clients.md`, cited as a source) are not ours to link.
 */
const ourDocNames = new Set(
  files.flatMap((path) => {
    const fromRoot = relative(root, path)
    const fromDocs = relative(join(root, 'docs'), path)
    return [fromRoot, fromDocs, fromDocs.split('/').pop()!]
  }),
)

/** Prose only: fenced code blocks show commands and output, not references. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '')
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(text: string): Set<string> {
  const result = new Set<string>()
  for (const match of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    result.add(match[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'))
  }
  return result
}

describe.each(files.map((path) => [relative(root, path), path]))('%s', (_name, path) => {
  const text = prose(readFileSync(path, 'utf8'))

  test('every mention of a doc file is a link', () => {
    // A *.md name outside a link's text or target: `[x.md](x.md)` is fine, `see x.md` is not.
    const unlinked = [...text.replace(/\[[^\]]*\]\([^)]*\)/g, '').matchAll(/[\w./-]+\.md\b/g)]
      .map((match) => match[0])
      .filter((name) => ourDocNames.has(name.replace(/^\.\//, '')))
    expect(unlinked).toEqual([])
  })

  test('every relative link resolves, anchors included', () => {
    const broken: string[] = []
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!
      if (/^[a-z]+:/.test(target)) continue
      const [file, anchor] = target.split('#')
      const targetPath = file ? resolve(dirname(path), file) : path
      if (!existsSync(targetPath)) broken.push(target)
      else if (anchor && targetPath.endsWith('.md') && !anchors(readFileSync(targetPath, 'utf8')).has(anchor)) broken.push(target)
    }
    expect(broken).toEqual([])
  })
})
