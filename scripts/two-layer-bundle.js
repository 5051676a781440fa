// Bundles part of the tsc build (dist/) into two CommonJS files for processes that must start fast (the CLI's fast
// path, the library): scripts/fast-path-bundle.js and scripts/library-bundle.js say what goes in.
//
//   <name>.cjs  the static closure of the roots: what the common case runs, and nothing else
//   cold.cjs    everything those modules import lazily (renewal, lock, login, api, the keychain's ping…)
//
// each with a V8 code cache (scripts/code-cache.js), and dist/load-bundle.cjs (from src/load-bundle.cjs), the one
// loader that compiles them with it.
//
// Why this shape, measured on 2 cores with Node 20 against `node -e 0` (npm run bench): every ES module costs an
// asynchronous resolve and read and a compile, every `import … from 'node:x'` an ES facade that touches all of x's
// exports (node:crypto's builds WebCrypto), an import() in a CommonJS file starts Node's ES loader, and V8 compiles a
// file's whole text before it runs and each function again when first called. A cached `env` as ~40 tsc modules ran
// at ~1.7× (old bench baseline), as one CommonJS file of everything 1.5× (a third of it compiling code it never ran),
// as the small file 1.44×, and with the code cache ~1.25×.
//
// The two files share one copy of every module: cold.cjs is handed the hot modules it imports instead of bundling
// copies, so classes (errors are checked with instanceof) and module state exist once; the hot file reaches a cold
// module through cold.cjs's `coldModule(name, hotModules)`, which evaluates it on first use. Both files are one
// function expression over CommonJS's arguments and the loader's importPackage: the loader compiles the text as it
// is, with the code cache V8 matches against exactly that text, and calls it. A script compiled that way has no
// module loader, so a lazy import() of a builtin becomes a require(), cold.cjs's of an ES-only package goes through
// importPackage, and the hot file may import() no package at all. esbuild is already installed for tsx; packages
// stay external and load from node_modules.
import {copyFile, readFile, rm, writeFile} from 'node:fs/promises'
import {builtinModules, createRequire} from 'node:module'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))
/** The loader of both files (src/load-bundle.cjs), copied next to the bundles' folders. */
const LOADER_SOURCE = fileURLToPath(new URL('../src/load-bundle.cjs', import.meta.url))
/** Both files are one function expression over these arguments (src/load-bundle.cjs calls it). */
const BUNDLE_FUNCTION_START = '(function (exports, require, module, __filename, __dirname, __importPackage) {'
const COLD_FILE = 'cold.cjs'
/** Virtual modules: the hot modules cold.cjs is handed (in cold.cjs), and the table of them (in the hot file). */
const HOT_REGISTRY = 'pve-login:hot-registry'
const HOT_TABLE = 'pve-login:hot-table'

const common = {
  // Metafile inputs are named relative to it.
  absWorkingDir: resolve(DIST, '..'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  metafile: true,
  // Less text for every cached `env` to read and V8 to take in (names are kept, for stack traces); ASCII only, so
  // that src/load-bundle.cjs can read it as latin1 (a third of the time of decoding UTF-8). The build checks it.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  // The sources find files next to themselves (the help texts, the keychain binding) through import.meta.url; both
  // bundles sit two levels below the package root, as dist/cli/*.js do. Made on first use: a cached `env` needs none.
  define: {'import.meta.url': '__bundleMeta.url'},
  banner: {js: 'const __bundleMeta = {get url() { return (this.href ??= require("node:url").pathToFileURL(__filename).href) }};'},
}

const key = (absolute) => relative(DIST, absolute)
const isProjectImport = (args) => args.path.startsWith('.') && args.namespace === 'file'
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier)

/** The generated entry of a bundle (not a file: metafile lists it as BARREL). */
const BARREL = '<barrel>'
function barrel(lines) {
  return {contents: lines.join('\n'), resolveDir: DIST, sourcefile: BARREL, loader: 'js'}
}

function virtualModules(build, modules) {
  const filter = new RegExp(`^(${Object.keys(modules).join('|')})$`)
  build.onResolve({filter}, (args) => ({path: args.path, namespace: 'virtual'}))
  build.onLoad({filter: /.*/, namespace: 'virtual'}, (args) => ({contents: modules[args.path], resolveDir: DIST, loader: 'js'}))
}

/**
 * A lazy `import('node:x')` as a require(): in a CommonJS file, import() starts Node's ES loader (some 5 ms of a
 * cached `pve-login api`, measured on 2 cores with Node 20) for a module that require() hands over at once.
 */
const builtinImportsAsRequire = {
  name: 'builtin-imports-as-require',
  setup(build) {
    build.onResolve({filter: /.*/}, (args) => (args.kind === 'dynamic-import' && isBuiltin(args.path) ? {path: args.path, namespace: 'builtin'} : undefined))
    build.onLoad({filter: /.*/, namespace: 'builtin'}, (args) => ({contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js'}))
  },
}

/**
 * A CommonJS bundle turns a static import of a package into require(), which an ESM-only package refuses on the
 * Node versions pve-login supports (require(esm) came in 20.19): such a package must be imported lazily.
 */
const noRequireOfEsm = {
  name: 'no-require-of-esm-only-packages',
  setup(build) {
    const require = createRequire(join(DIST, 'index.js'))
    build.onResolve({filter: /^[^./]/}, async (args) => {
      if (args.kind === 'dynamic-import' || isBuiltin(args.path) || args.path.startsWith('pve-login:')) return undefined
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0]
      const refused = {errors: [{text: `${name} is ESM-only: import it with import() (${args.importer})`}]}
      let entry
      try {
        entry = require.resolve(name)
      } catch {
        return refused
      }
      return (await findPackageJson(dirname(entry))).type === 'module' ? refused : undefined
    })
  },
}

async function findPackageJson(directory) {
  for (let dir = directory; dir !== dirname(dir); dir = dirname(dir)) {
    const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined)
    const manifest = text === undefined ? undefined : JSON.parse(text)
    if (manifest?.name) return manifest
  }
  return {}
}

/**
 * Writes `<outDir>/<hotFile>` and `<outDir>/cold.cjs`. roots: modules under dist/ whose static closure is hot;
 * entry: the module under dist/ whose exports the hot file exports.
 */
export async function bundleTwoLayers({outDir, hotFile, roots: rootPaths, entry, define = {}}) {
  const OUT = fileURLToPath(outDir)
  await rm(OUT, {recursive: true, force: true})
  await copyFile(LOADER_SOURCE, resolve(DIST, 'load-bundle.cjs'))
  const roots = rootPaths.map((root) => resolve(DIST, root))

  // 1. The hot set (the static closure of the roots), and the cold modules the hot ones import lazily.
  const cold = new Set()
  const probe = await build({
    ...common,
    write: false,
    stdin: barrel(roots.map((root, i) => `export * as m${i} from ${JSON.stringify(root)}`)),
    plugins: [
      {
        name: 'stop-at-lazy-imports',
        setup(build) {
          build.onResolve({filter: /.*/}, (args) => {
            if (args.kind !== 'dynamic-import' || !isProjectImport(args)) return undefined
            cold.add(resolve(args.resolveDir, args.path))
            return {path: args.path, external: true}
          })
        },
      },
    ],
  })
  const hot = new Set(
    Object.keys(probe.metafile.inputs)
      .filter((input) => input.startsWith('dist/') && !input.endsWith(BARREL))
      .map((input) => resolve(DIST, '..', input)),
  )
  for (const path of hot) cold.delete(path)

  // 2. cold.cjs: every cold module, each evaluated when first asked for; hot modules come from the registry.
  const sharedHot = new Set()
  const coldModules = [...cold].sort()
  await build({
    ...common,
    outfile: resolve(OUT, COLD_FILE),
    banner: {js: `${BUNDLE_FUNCTION_START}\n${common.banner.js}`},
    footer: {js: '})'},
    stdin: barrel([
      `const registry = require(${JSON.stringify(HOT_REGISTRY)})`,
      `const modules = {${coldModules.map((path) => `${JSON.stringify(key(path))}: () => require(${JSON.stringify(path)})`).join(', ')}}`,
      'exports.coldModule = (name, hotModules) => {',
      '  registry.hotModules ??= hotModules',
      '  return modules[name]()',
      '}',
    ]),
    plugins: [
      noRequireOfEsm,
      builtinImportsAsRequire,
      {
        name: 'hot-modules-from-registry',
        setup(build) {
          virtualModules(build, {[HOT_REGISTRY]: 'exports.hotModules = undefined'})
          build.onResolve({filter: /.*/}, (args) => {
            if (!isProjectImport(args) && !args.path.startsWith(DIST)) return undefined
            const path = args.path.startsWith(DIST) ? args.path : resolve(args.resolveDir, args.path)
            if (!hot.has(path)) return undefined
            sharedHot.add(path)
            return {path, namespace: 'hot-module'}
          })
          build.onLoad({filter: /.*/, namespace: 'hot-module'}, (args) => ({
            contents: `module.exports = require(${JSON.stringify(HOT_REGISTRY)}).hotModules[${JSON.stringify(key(args.path))}]`,
            resolveDir: DIST,
            loader: 'js',
          }))
        },
      },
    ],
  })

  await importsThroughLoader(resolve(OUT, COLD_FILE))
  await expectAscii(resolve(OUT, COLD_FILE))

  // 3. The hot file: the hot set. A lazy import of a cold module asks cold.cjs for it (handing over the hot modules
  //    it uses); one of a builtin becomes a require(); one of a package is refused (it belongs in a cold module).
  const shared = [...sharedHot].sort()
  await build({
    ...common,
    outfile: resolve(OUT, hotFile),
    define: {...common.define, ...define},
    banner: {js: `${BUNDLE_FUNCTION_START}\n${common.banner.js}`},
    footer: {js: '})'},
    stdin: barrel([`export * from ${JSON.stringify(resolve(DIST, entry))}`]),
    plugins: [
      noRequireOfEsm,
      builtinImportsAsRequire,
      {
        name: 'lazy-imports-to-cold',
        setup(build) {
          virtualModules(build, {
            [HOT_TABLE]: [
              ...shared.map((path, i) => `import * as h${i} from ${JSON.stringify(path)}`),
              `export const hotModules = {${shared.map((path, i) => `${JSON.stringify(key(path))}: h${i}`).join(', ')}}`,
            ].join('\n'),
          })
          build.onResolve({filter: /.*/}, (args) => {
            if (args.kind !== 'dynamic-import') return undefined
            if (!isProjectImport(args)) return {errors: [{text: `the hot file runs from a code cache and cannot import() the package ${args.path}: import it from a lazily loaded module`}]}
            const path = resolve(args.resolveDir, args.path)
            return cold.has(path) ? {path, namespace: 'cold-module'} : undefined
          })
          build.onResolve({filter: exactly(`./${COLD_FILE}`)}, (args) => ({path: args.path, external: true}))
          build.onLoad({filter: /.*/, namespace: 'cold-module'}, (args) => ({
            contents: `const {hotModules} = require(${JSON.stringify(HOT_TABLE)})\nmodule.exports = require("./${COLD_FILE}").coldModule(${JSON.stringify(key(args.path))}, hotModules)`,
            resolveDir: OUT,
            loader: 'js',
          }))
        },
      },
    ],
  })
  await expectAscii(resolve(OUT, hotFile))
}

/** src/load-bundle.cjs reads a bundle as latin1, which is its text only when every byte is ASCII. */
async function expectAscii(file) {
  const bytes = await readFile(file)
  const at = bytes.findIndex((byte) => byte > 0x7f)
  if (at >= 0) throw new Error(`${file}: a byte outside ASCII at offset ${at} (esbuild's charset: 'ascii' should have escaped it)`)
}

function exactly(text) {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
}

/**
 * cold.cjs runs from a code cache too, where import() has no loader: its lazy imports of ES-only packages (open,
 * yocto-spinner) go through the loader's importPackage instead. Builtins and project modules never reach here
 * (they became require() calls); anything else left as import() fails the build rather than the user.
 */
async function importsThroughLoader(file) {
  const text = await readFile(file, 'utf8')
  const rewritten = text.replace(/\bimport\((["'])([^"'./][^"']*)\1\)/g, '__importPackage($1$2$1)')
  const left = /\bimport\(/.exec(rewritten)
  if (left) throw new Error(`${file}: an import() that is not of a package is left: ${rewritten.slice(left.index, left.index + 80)}`)
  await writeFile(file, rewritten)
}
