// Loads the bundles scripts/two-layer-bundle.js writes (dist/fast/, dist/lib/): the one loader that bin/run.cjs,
// the package entry dist/lib/index.cjs and the build's code-cache warm-up share. The build copies this file to
// dist/load-bundle.cjs. CommonJS with builtins only: it runs before anything else on every cached `pve-login env`.
//
// A bundle file is one function expression over CommonJS's arguments plus `importPackage`, the way its import() of
// an ES-only package goes (a script compiled from a code cache has no module loader of its own). V8 compiles it from
// `<file>.code-cache`, the compiled code the build kept: compiling the text, and then each function as it is first
// called, cost a cached `env` more than its work. V8 checks a cache against its version, its flags and the source
// and ignores one that does not match (another Node, V8 flags in NODE_OPTIONS), compiling the source as usual then;
// as it matches the source by length only, a cache older than its file is not handed over at all.
'use strict'
const {readFileSync, statSync} = require('node:fs')
const {dirname, join} = require('node:path')

/** Every bundle this process compiled, by file: the build writes their code caches from these. */
const compiledBundles = new Map()
const loaded = new Map()

/** The exports of the bundle at `file` (an absolute path), compiled and run once per process. */
function loadBundle(file) {
  if (loaded.has(file)) return loaded.get(file)
  // The build keeps a bundle ASCII (scripts/two-layer-bundle.js checks it), so latin1 reads it as it is, in a third
  // of the time UTF-8 decoding takes.
  const source = readFileSync(file, 'latin1')
  let cachedData
  try {
    if (statSync(`${file}.code-cache`).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(`${file}.code-cache`)
  } catch {
    // No cache: compiled from the source.
  }
  const {Script} = process.getBuiltinModule('node:vm')
  const script = new Script(source, {filename: file, cachedData})
  compiledBundles.set(file, script)
  const module = {exports: {}}
  script.runInThisContext()(module.exports, bundleRequire(dirname(file)), module, file, dirname(file), importPackage)
  loaded.set(file, module.exports)
  return module.exports
}

/**
 * A bundle's `require`: builtins straight from Node, the bundle's sibling files (./cold.cjs) through loadBundle, and
 * packages from the node_modules this file sees, which are the package's own.
 */
function bundleRequire(directory) {
  return (id) => {
    if (id.startsWith('node:')) return process.getBuiltinModule(id)
    if (id.startsWith('./')) return loadBundle(join(directory, id))
    return require(id)
  }
}

/** import() for a bundle: an ES-only package (open, yocto-spinner) loads through Node's loader from here. */
function importPackage(id) {
  return import(id)
}

module.exports = {loadBundle, compiledBundles}
