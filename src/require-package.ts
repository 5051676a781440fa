/**
 * A CommonJS package (undici, proper-lockfile, the keychain addon), loaded where it is first needed. require(), not
 * import(): the bundles run from a code cache, where import() would start Node's ES loader (~5 ms, measured on
 * 2 cores with Node 20), and a synchronous load keeps its callers synchronous. node:module loads with it.
 */
export function requirePackage<T>(name: string): T {
  return process.getBuiltinModule('node:module').createRequire(import.meta.url)(name) as T
}
