/**
 * `npm run demo`: the main job end to end on any machine. Starts the sandbox (PVE-compatible server + real OpenID
 * provider), logs in with the real pve-login CLI, makes authenticated API calls with the remembered session, shows
 * the cached sessions, and stops everything. A headless machine signs in with the robot browser; where a display
 * exists (and PVE_LOGIN_DEMO_ROBOT is not set) your own browser opens and you sign in as alice.
 */
import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startSandbox} from './sandbox.js'

const cli = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

function step(title: string): void {
  const bold = process.stderr.isTTY ? (text: string) => `\x1b[1m${text}\x1b[0m` : (text: string) => text
  process.stderr.write(`\n${bold(`── ${title}`)}\n`)
}

/** Runs the CLI like a person would, output straight to this terminal; resolves with its exit code. */
function pveLogin(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  process.stderr.write(`$ pve-login ${args.join(' ')}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {env, stdio: ['inherit', 'inherit', 'inherit']})
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

const sandbox = await startSandbox()
const home = await mkdtemp(join(tmpdir(), 'pve-login-demo-'))
let failed = false
try {
  const hasDisplay = Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']) && !process.env['PVE_LOGIN_DEMO_ROBOT'] && !process.env['CI']
  const alice = sandbox.idpAccounts.find((account) => account.sub === 'alice')
  step(`Sandbox: PVE at ${sandbox.pveUrl} (self-signed, SHA-256 ${sandbox.fingerprint}), IdP at ${sandbox.idpUrl}`)
  // The file store keeps the demo away from your real keychain; PVE_LOGIN_HOME keeps it away from your config.
  const env: NodeJS.ProcessEnv = {...process.env, PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}
  const browser = hasDisplay ? [] : ['--browser-command', sandbox.robotBrowser]
  if (hasDisplay) process.stderr.write(`Your browser will open: sign in as alice, password ${alice?.password}\n`)
  else process.stderr.write('No display here: a robot browser signs in as alice.\n')

  step('1. Log in through the OpenID realm "cli" (loopback redirect to 127.0.0.1)')
  const steps: Array<[string, string[]]> = [
    ['', ['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, ...browser]],
    ['2. An authenticated API call with the remembered server and cached ticket', ['api', '/version']],
    ['3. A write, which needs the CSRF token too: clone template 9000', ['api', '/nodes/pve1/qemu/9000/clone', '-X', 'POST', '-f', 'newid=123', '-f', 'name=demo']],
    ['4. The cached sessions', ['status']],
  ]
  for (const [title, args] of steps) {
    if (title) step(title)
    const code = await pveLogin(args, env)
    if (code !== 0) {
      failed = true
      process.stderr.write(`pve-login exited with ${code}\n`)
      break
    }
  }
  if (!failed) step('Done: the sandbox stops now.')
} finally {
  await rm(home, {recursive: true, force: true})
  await sandbox.stop()
}
process.exitCode = failed ? 1 : 0
