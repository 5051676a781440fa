/**
 * oidc-provider prints two warnings the sandbox must not pass on to a person running the demo or the tests:
 * - "Unsupported runtime. Use Node.js v22.x LTS": it checks for an LTS codename from Jod (22) on, while pve-login's
 *   floor is Node 20.18.1 and the sandbox runs there on purpose; the test suite is what shows it works on 20.
 * - "a quick start development-only in-memory adapter is used": in-memory state is what a throwaway sandbox wants.
 * Both go through console.warn at module load and at `new Provider()`. Only these exact notices are dropped, and only
 * while the provider loads and is built; every other warning passes through.
 */
import type {Configuration, Provider} from 'oidc-provider'

const EXPECTED_NOTICES = [
  'oidc-provider WARNING: Unsupported runtime.',
  'oidc-provider WARNING: a quick start development-only in-memory adapter is used',
]

async function withoutExpectedNotices<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    // The library colours the line on a terminal: compare without the escape sequences.
    // eslint-disable-next-line no-control-regex
    const text = typeof args[0] === 'string' ? args[0].replace(/\x1b\[[0-9;]*m/g, '') : ''
    if (!EXPECTED_NOTICES.some((notice) => text.startsWith(notice))) warn.apply(console, args)
  }
  try {
    return await work()
  } finally {
    console.warn = warn
  }
}

/** Loads oidc-provider and builds a Provider, without its two expected notices. */
export function createQuietProvider(issuer: string, configuration: Configuration): Promise<Provider> {
  return withoutExpectedNotices(async () => {
    const {default: ProviderClass} = await import('oidc-provider')
    return new ProviderClass(issuer, configuration)
  })
}
