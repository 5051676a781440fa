// Writes dist/fast/fast-path.cjs.code-cache, which bin/run.js hands to V8 with the bundle: V8's compiled code for
// the bundle once it has served a cached `env` and `ticket`, so the functions those run are in the cache, not only
// the top level. It runs in a process of its own with no Node or V8 options, as `pve-login` runs: V8 takes a cache
// only under the flags it was made with. The session it reads lives in a throwaway home and names a server that is
// never contacted. Called by scripts/oclif-manifest.js once the bundle is built.
import {spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {Script} from 'node:vm'
import {fileURLToPath} from 'node:url'

import {FAST_PATH_DIR, HOT_FILE} from './fast-path-bundle.js'

const BUNDLE = fileURLToPath(new URL(HOT_FILE, FAST_PATH_DIR))
const WARM_UP = '--warm-up'

if (process.argv[2] === WARM_UP) {
  await warmUp()
  process.exit()
}

/** Runs the warm-up in a clean process; throws with its stderr when it fails. */
export function writeFastPathCodeCache() {
  const env = {...process.env}
  delete env['NODE_OPTIONS']
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), WARM_UP], {env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`writing the fast path's code cache failed:\n${result.stderr}`)
}

async function warmUp() {
  const home = await mkdtemp(join(tmpdir(), 'pve-login-code-cache-'))
  try {
    Object.assign(process.env, {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'})
    const {FileStore} = await import('../dist/store/file-store.js')
    const {rememberProfile} = await import('../dist/session/profile-config.js')
    const server = 'https://pve.invalid:8006'
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000)
    const hexTime = (issuedAt.getTime() / 1000).toString(16).toUpperCase()
    await rememberProfile(home, 'default', {server, realm: 'warm-up'})
    await new FileStore(join(home, 'sessions')).save({
      server,
      realm: 'warm-up',
      username: 'build@warm-up',
      ticket: `PVE:build@warm-up:${hexTime}::${'A'.repeat(342)}==`,
      csrfToken: `${hexTime}:${'B'.repeat(43)}`,
      issuedAt: issuedAt.toISOString(),
      loginAt: issuedAt.toISOString(),
    })
    // As bin/run.js loads it.
    const script = new Script(await readFile(BUNDLE, 'utf8'), {filename: BUNDLE})
    const module = {exports: {}}
    script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE))
    for (const argv of [['env'], ['ticket']]) {
      if (!(await module.exports.runFastPath(argv))) throw new Error(`the fast path did not serve ${argv.join(' ')}`)
      if (process.exitCode) throw new Error(`${argv.join(' ')} failed during the warm-up (exit ${process.exitCode})`)
    }
    await writeFile(`${BUNDLE}.code-cache`, script.createCachedData())
  } finally {
    await rm(home, {recursive: true, force: true})
  }
}
