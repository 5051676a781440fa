/**
 * yocto-spinner, loaded through this module. The fast path's small bundle (scripts/fast-path-bundle.js) runs from a
 * V8 code cache, where a script cannot `import()` a package; this module lives in the lazily loaded part, where it can.
 * yocto-spinner is ESM-only, so it is imported, never required.
 */
export async function loadSpinner(): Promise<typeof import('yocto-spinner').default> {
  return (await import('yocto-spinner')).default
}
