/**
 * `npm run sandbox`: starts the sandbox IdP and PVE and keeps them running.
 *
 *   --json              one JSON line on stdout when ready, nothing else there; stops when stdin closes or
 *                       the parent process goes away
 *   --pve-port N        fixed PVE port (default: random free port)
 *   --idp-port N        fixed IdP port (default: random free port)
 *   --auth-delay-ms N   how long every 401 takes (default 3000, like PVE)
 *
 * root@pam's password comes from PVE_SANDBOX_ROOT_PASSWORD, or is random. Stops on SIGINT and SIGTERM.
 */
import {parseArgs} from 'node:util'

import {startSandbox, type Sandbox, type SandboxReadyLine} from './sandbox.js'
import {shellWords} from './shell-words.js'

const DEFAULT_AUTH_DELAY_MS = 3000

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} must be a port number`)
  return port
}

function delayOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_AUTH_DELAY_MS
  const delay = Number(value)
  if (!Number.isFinite(delay) || delay < 0) throw new Error('--auth-delay-ms must be a non-negative number')
  return delay
}

/** The ready line of `--json`: what test/helpers/sandbox.ts parses. */
function readyLine(sandbox: Sandbox): string {
  const line: SandboxReadyLine = {
    pveUrl: sandbox.pveUrl,
    idpUrl: sandbox.idpUrl,
    fingerprint: sandbox.fingerprint,
    caFile: sandbox.caFile,
    rootPassword: sandbox.rootPassword,
    robotBrowser: sandbox.robotBrowser,
  }
  return JSON.stringify(line)
}

function humanSummary(sandbox: Sandbox): string {
  const login = (realm: string, ...extra: string[]): string =>
    shellWords(['pve-login', '--server', sandbox.pveUrl, '--realm', realm, ...extra, '--fingerprint', sandbox.fingerprint])
  const robot = `BROWSER=${shellWords([sandbox.robotBrowser])}`
  const realmLines = sandbox.realms.map(
    (realm) => `  ${realm.realm.padEnd(8)} ${realm.type.padEnd(7)} ${realm.default ? '(default) ' : ''}${realm.comment}`,
  )
  // eslint-disable-next-line no-control-regex -- the escape account must not rewrite the terminal that shows this
  const shown = (text: string): string => (/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(text) ? JSON.stringify(text) : text)
  const accountLines = sandbox.idpAccounts.map((account) => `  ${shown(account.sub).padEnd(8)} password: ${account.password}`)
  return [
    'PVE sandbox is running (Ctrl-C stops it).',
    '',
    `  PVE API      ${sandbox.pveUrl}/api2/json  (self-signed certificate)`,
    `  fingerprint  ${sandbox.fingerprint}`,
    `  CA file      ${sandbox.caFile}`,
    `  IdP issuer   ${sandbox.idpUrl}`,
    `  controls     ${sandbox.pveUrl}/__sandbox/state`,
    `  401 delay    ${sandbox.authFailureDelayMs} ms`,
    '',
    'Realms:',
    ...realmLines,
    '',
    'IdP users (become <user>@<realm> in PVE; cli, misconf and ui create them on first login):',
    ...accountLines,
    `PVE users before any login: root@pam (password: ${sandbox.rootPassword}), bob@noauto`,
    '',
    'Try:',
    `  # robot browser signs in as alice (ROBOT_USER / ROBOT_PASSWORD / ROBOT_ACTION=deny change that)`,
    `  ${robot} ${login('cli')}`,
    `  # your own browser; sign in as alice / alice-password`,
    `  ${login('cli')}`,
    `  # trust the certificate file instead of pinning it`,
    `  ${robot} ${shellWords(['pve-login', '--server', sandbox.pveUrl, '--realm', 'cli', '--ca-file', sandbox.caFile])}`,
    `  # the public/confidential clash: the IdP refuses the code exchange, PVE says "authentication failure"`,
    `  ${robot} ${login('misconf')}`,
    `  # no autocreate: bob gets in, alice does not`,
    `  ROBOT_USER=bob ${robot} ${login('noauto')}`,
    '',
  ].join('\n')
}

/**
 * stdin may be shared with a process that outlives our parent (a shell's background job, say), so EOF alone
 * is not enough: once we are re-parented, the process that started us is gone.
 */
const parentAtStart = process.ppid

function stopWhenOrphaned(stop: () => void): void {
  setInterval(() => {
    if (process.ppid !== parentAtStart) stop()
  }, 1000).unref()
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      json: {type: 'boolean', default: false},
      'pve-port': {type: 'string'},
      'idp-port': {type: 'string'},
      'auth-delay-ms': {type: 'string'},
    },
    strict: true,
  })
  const json = values.json === true
  if (json) {
    // stdout belongs to the ready line; anything a library prints goes to stderr instead.
    console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args)
  }

  const sandbox = await startSandbox({
    pvePort: portOption(values['pve-port'], 'pve-port'),
    idpPort: portOption(values['idp-port'], 'idp-port'),
    authFailureDelayMs: delayOption(values['auth-delay-ms']),
    rootPassword: process.env.PVE_SANDBOX_ROOT_PASSWORD || undefined,
  })

  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    sandbox.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`sandbox: error while stopping: ${(error as Error).message}\n`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  if (json) {
    process.stdout.write(`${readyLine(sandbox)}\n`)
    // The parent holds our stdin; when it goes away (even by crashing) so do we.
    process.stdin.on('end', stop)
    process.stdin.on('close', stop)
    process.stdin.resume()
    stopWhenOrphaned(stop)
  } else {
    process.stdout.write(humanSummary(sandbox))
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox: ${(error as Error).message}\n`)
  process.exit(1)
})
