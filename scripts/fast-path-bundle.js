// The CLI's fast path (bin/run.cjs serves env, ticket, status, api and login without oclif) as two bundles in dist/fast/
// (scripts/two-layer-bundle.js): fast-path.cjs with what cached env, ticket and status run, cold.cjs with the rest.
import {copyFile} from 'node:fs/promises'

import {bundleTwoLayers} from './two-layer-bundle.js'

export const FAST_PATH_DIR = new URL('../dist/fast/', import.meta.url)
export const FAST_PATH_FILE = 'fast-path.cjs'

export async function bundleFastPath() {
  await bundleTwoLayers({
    outDir: FAST_PATH_DIR,
    hotFile: FAST_PATH_FILE,
    roots: ['cli/fast-path.js', 'cli/script-output.js', 'cli/status-result.js', 'session/get-session.js'],
    entry: 'cli/fast-path.js',
  })
  // The module reads its flag table next to itself (see src/cli/fast-path.ts).
  await copyFile(new URL('../dist/cli/fast-path-flags.json', import.meta.url), new URL('fast-path-flags.json', FAST_PATH_DIR))
}
