// Bundles the fast path (src/cli/fast-path.ts, as tsc built it into dist/cli/) into dist/fast/: one module for what a
// cached `pve-login env` or `ticket` runs, and split-off chunks for what only a renewal, a login or an error loads.
// Why: every ES module costs a resolution, an asynchronous read (four thread-pool round trips) and a compile; the
// cached path loaded some 40 of them, the bundle loads 3 (measured on 2 loaded cores: module loading went from
// ~23 ms to ~14 ms of a ~90 ms run). esbuild is already installed for tsx; packages stay external (undici, the
// keychain binding, proper-lockfile load from node_modules as before), so only this project's code is bundled.
import {copyFile, rm} from 'node:fs/promises'

import {build} from 'esbuild'

export const FAST_PATH_DIR = new URL('../dist/fast/', import.meta.url)

export async function bundleFastPath() {
  await rm(FAST_PATH_DIR, {recursive: true, force: true})
  await build({
    entryPoints: [new URL('../dist/cli/fast-path.js', import.meta.url).pathname],
    outdir: FAST_PATH_DIR.pathname,
    bundle: true,
    // Lazy `import()`s stay lazy: each becomes its own chunk, so the cached path never loads the lock or the login.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  })
  // The module reads its flag table next to itself (see src/cli/fast-path.ts).
  await copyFile(new URL('../dist/cli/fast-path-flags.json', import.meta.url), new URL('fast-path-flags.json', FAST_PATH_DIR))
}
