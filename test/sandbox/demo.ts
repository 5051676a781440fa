/**
 * `npm run demo`: the main job end to end on any machine. Starts the sandbox (PVE-compatible server + real OpenID
 * provider), logs in with the real pve-login CLI, makes authenticated API calls with the remembered session, hands
 * the ticket to curl through `env` and `exec`, shows the cached sessions, and stops everything. A headless machine
 * signs in with the robot browser; where a display exists (and PVE_LOGIN_DEMO_ROBOT is not set) your own browser
 * opens and you sign in as alice.
 *
 * Every command is printed exactly as it runs (through /bin/sh, with `pve-login` on PATH), so each line can be pasted
 * into a shell that has the same two variables exported while the sandbox runs.
 */
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startSandbox} from './sandbox.js'

const cli = fileURLToPath(new URL('../../bin/run.cjs', import.meta.url))
const bold = process.stderr.isTTY ? (text: string) => `\x1b[1m${text}\x1b[0m` : (text: string) => text

function step(title: string): void {
  process.stderr.write(`\n${bold(`── ${title}`)}\n`)
}

/** POSIX shell quoting: plain words stay as they are, anything else goes in single quotes. */
function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** Runs one shell command line like a person would, output straight to this terminal; resolves with its exit code. */
function shell(commandLine: string, env: NodeJS.ProcessEnv): Promise<number> {
  process.stderr.write(`${bold('$')} ${commandLine}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', commandLine], {env, stdio: ['inherit', 'inherit', 'inherit']})
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

const pveLogin = (...args: string[]) => ['pve-login', ...args].map(shellQuote).join(' ')

const sandbox = await startSandbox()
const scratch = await mkdtemp(join(tmpdir(), 'pve-login-demo-'))
let failed = false
try {
  const hasDisplay = Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']) && !process.env['PVE_LOGIN_DEMO_ROBOT'] && !process.env['CI']
  const alice = sandbox.idpAccounts.find((account) => account.sub === 'alice')
  // `pve-login` on PATH, as after `npm install -g pve-login`: here it is this checkout's bin/run.cjs.
  const bin = join(scratch, 'bin')
  await mkdir(bin)
  await symlink(cli, join(bin, 'pve-login'))
  const home = join(scratch, 'home')

  step(`Sandbox: PVE at ${sandbox.pveUrl} (self-signed, SHA-256 ${sandbox.fingerprint}), IdP at ${sandbox.idpUrl}`)
  process.stderr.write(hasDisplay ? `Your browser will open: sign in as alice, password ${alice?.password}\n` : 'No display here: a robot browser signs in as alice.\n')
  // The file store keeps the demo away from your real keychain; PVE_LOGIN_HOME keeps it away from your config.
  process.stderr.write(`${bold('$')} export PVE_LOGIN_HOME=${shellQuote(home)} PVE_LOGIN_STORE=file   # keep the demo apart from your own logins\n`)
  const env: NodeJS.ProcessEnv = {...process.env, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`, PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}
  const browser = hasDisplay ? [] : ['--browser-command', sandbox.robotBrowser]
  // curl checks the sandbox's self-signed certificate against its own PEM; on a real cluster, the cluster's CA.
  const ca = shellQuote(sandbox.caFile)

  const steps: Array<[string, string]> = [
    ['1. Log in through the OpenID realm "cli" (loopback redirect to 127.0.0.1)', pveLogin('--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, ...browser)],
    ['2. An authenticated API call with the remembered server and cached ticket', pveLogin('api', '/version')],
    ['3. A write, which needs the CSRF token too: clone template 9000', pveLogin('api', '-X', 'POST', '/nodes/pve1/qemu/9000/clone', '-f', 'newid=123', '-f', 'name=demo')],
    [
      '4. Into this shell: eval "$(pve-login env)" sets PROXMOX_VE_* (what the bpg Terraform provider reads)',
      `eval "$(pve-login env)" && echo "$PVE_LOGIN_USERNAME at $PROXMOX_VE_ENDPOINT until $PVE_LOGIN_EXPIRES_AT"`,
    ],
    [
      '5. Or only for one command: pve-login exec runs curl with the ticket in its environment (here read from stdin, never on a command line)',
      `pve-login exec -- sh -c 'echo "cookie = PVEAuthCookie=$PROXMOX_VE_AUTH_TICKET" | curl -sS --cacert ${ca.replace(/'/g, `'\\''`)} -K - "$PROXMOX_VE_ENDPOINT/api2/json/nodes"; echo'`,
    ],
    ['6. The cached sessions', pveLogin('status')],
  ]
  for (const [title, commandLine] of steps) {
    step(title)
    const code = await shell(commandLine, env)
    if (code !== 0) {
      failed = true
      process.stderr.write(`The command exited with ${code}.\n`)
      break
    }
  }
  if (!failed) {
    step('Done: the sandbox stops now. On a real cluster:')
    process.stderr.write(
      [
        '  1. Set up a realm for the command line: docs/setup/README.md has a guide per identity provider',
        '     (Entra ID, Keycloak, authentik, Okta, Google, …); `pve-login docs setup` shows it once installed.',
        '  2. Check server, certificate and realm before the first login:',
        '       pve-login doctor --server pve.example.com --realm REALM',
        '  3. Log in, then hand the ticket to your tools:',
        '       pve-login --server pve.example.com --realm REALM',
        '       pve-login exec -- terraform apply',
        '',
      ].join('\n'),
    )
  }
} finally {
  await rm(scratch, {recursive: true, force: true})
  await sandbox.stop()
}
process.exitCode = failed ? 1 : 0
