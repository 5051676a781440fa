// Writes `<bundle>.code-cache` next to a hot bundle (scripts/two-layer-bundle.js): V8's compiled code for it once it
// has done its common case, so the functions that case runs are in the cache too, not only the top level; and one
// for its cold.cjs after its top level ran. The common case: for the fast path, a cached `env` and `ticket` (and on
// Linux `env` from the keychain, against scripts/warm-up-secret-service.js); for the library, import and
// getSession() from the cache. It runs in a process of its own with no Node or V8 options, as pve-login runs: V8
// takes a cache only under the flags it was made with. The sessions it reads live in a throwaway home and name a
// server that is never contacted.
import {spawnSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startWarmUpSecretService} from './warm-up-secret-service.js'

const WARM_UP = '--warm-up'

/** What each bundle does in its warm-up, given its exports. */
const WARM_UPS = {
  'fast-path': async ({runFastPath}, home) => {
    const serve = async (argv) => {
      if (!(await runFastPath(argv))) throw new Error(`the fast path did not serve ${argv.join(' ')}`)
      if (process.exitCode) throw new Error(`${argv.join(' ')} failed during the warm-up (exit ${process.exitCode})`)
    }
    await serve(['env'])
    await serve(['ticket'])
    // On Linux a cached env reads the keychain over D-Bus from JavaScript: that path too, against a stand-in service.
    // (Elsewhere it goes through the addon to the real keychain, which a build must not touch.)
    if (process.platform === 'linux') {
      const keychainHome = join(home, 'keychain')
      const stop = await startWarmUpSecretService(join(home, 'bus'), await writeCachedSession(keychainHome, 'keychain'))
      try {
        Object.assign(process.env, {PVE_LOGIN_HOME: keychainHome, PVE_LOGIN_STORE: 'keychain', DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'bus')}`})
        await serve(['env'])
      } finally {
        await stop()
      }
    }
  },
  library: async ({getSession}) => {
    const session = await getSession({interactive: false})
    await session.close()
  },
}

if (process.argv[2] === WARM_UP) {
  await warmUp(process.argv[3], process.argv[4])
  process.exit()
}

/** Runs the warm-up named `kind` for the bundle at `bundleUrl` in a clean process; throws with its stderr when it fails. */
export function writeCodeCache(bundleUrl, kind) {
  // No NODE_OPTIONS (V8 flags would make a cache the CLI cannot use), and none of the caller's PVE_LOGIN_* settings:
  // the warm-up reads its own throwaway home.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS' && !name.startsWith('PVE_LOGIN_')))
  const args = [fileURLToPath(import.meta.url), WARM_UP, fileURLToPath(bundleUrl), kind]
  const result = spawnSync(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`writing the code cache of ${fileURLToPath(bundleUrl)} failed:\n${result.stderr}`)
}

async function warmUp(bundle, kind) {
  const home = await mkdtemp(join(tmpdir(), 'pve-login-code-cache-'))
  try {
    Object.assign(process.env, {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'})
    await writeCachedSession(home)
    // Through the loader bin/run.cjs and dist/lib/index.cjs use.
    const {loadBundle, compiledBundles} = createRequire(import.meta.url)('../dist/load-bundle.cjs')
    await WARM_UPS[kind](loadBundle(bundle), home)
    // cold.cjs's top level at least, so that a command past the cache does not compile the whole file (~3 ms).
    loadBundle(join(dirname(bundle), 'cold.cjs'))
    for (const [file, script] of compiledBundles) await writeFile(`${file}.code-cache`, script.createCachedData())
  } finally {
    await rm(home, {recursive: true, force: true})
  }
}

/**
 * A session as a login leaves it (remembered profile, the session in the file store, or in the index and the
 * keychain), for a server that does not exist. Returns the keychain's secrets by account.
 */
async function writeCachedSession(home, store = 'file') {
  const {FileStore} = await import('../dist/store/file-store.js')
  const {SessionIndex} = await import('../dist/store/session-index.js')
  const {sessionAccount} = await import('../dist/store/ticket-store.js')
  const {rememberProfile} = await import('../dist/session/profile-config.js')
  const server = 'https://pve.invalid:8006'
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000)
  const hexTime = (issuedAt.getTime() / 1000).toString(16).toUpperCase()
  const record = {
    server,
    realm: 'warm-up',
    username: 'build@warm-up',
    ticket: `PVE:build@warm-up:${hexTime}::${'A'.repeat(342)}==`,
    csrfToken: `${hexTime}:${'B'.repeat(43)}`,
    issuedAt: issuedAt.toISOString(),
    loginAt: issuedAt.toISOString(),
  }
  await rememberProfile(home, 'default', {server, realm: record.realm})
  if (store === 'file') {
    await new FileStore(join(home, 'sessions')).save(record)
    return new Map()
  }
  await new SessionIndex(home).write({server, realm: record.realm, account: sessionAccount(record), store: 'keychain'})
  return new Map([[sessionAccount(record), JSON.stringify(record)]])
}
