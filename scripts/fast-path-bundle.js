// The CLI's fast path (bin/run.cjs serves env, ticket, status, api and login without oclif) as two bundles in dist/fast/
// (scripts/two-layer-bundle.js): fast-path.cjs with what cached env, ticket and status run, cold.cjs with the rest.
import {readFile} from 'node:fs/promises'

import {bundleTwoLayers} from './two-layer-bundle.js'

export const FAST_PATH_DIR = new URL('../dist/fast/', import.meta.url)
export const FAST_PATH_FILE = 'fast-path.cjs'

export async function bundleFastPath() {
  // The flag table (scripts/oclif-manifest.js) goes into the bundle's code: src/cli/fast-path.ts reads it from a file
  // only when it runs unbundled.
  const flagTable = await readFile(new URL('../dist/cli/fast-path-flags.json', import.meta.url), 'utf8')
  await bundleTwoLayers({
    outDir: FAST_PATH_DIR,
    hotFile: FAST_PATH_FILE,
    roots: ['cli/fast-path.js', 'cli/script-output.js', 'cli/status-result.js', 'session/get-session.js'],
    entry: 'cli/fast-path.js',
    define: {BUNDLED_FAST_PATH_FLAGS: JSON.stringify(flagTable.trim())},
  })
}
