/**
 * Clone a VM template with a PVE session from pve-login, and wait for the clone task to finish.
 *
 *   node --import tsx examples/deploy-vm.ts --server pve.example.com --realm entra-cli --fingerprint AA:BB:… --newid 123
 *
 * Server, realm and TLS trust also come from PVE_LOGIN_SERVER, PVE_LOGIN_REALM, PVE_LOGIN_FINGERPRINT and
 * PVE_LOGIN_CA_FILE, or from what the last `pve-login` remembered. With a cached ticket (after `pve-login` once)
 * nothing opens; without one, a browser login starts when this runs in a terminal, and in CI it fails with
 * LOGIN_REQUIRED instead. Exit codes: 0 cloned, 1 PVE or pve-login refused, 2 bad arguments.
 */
import {setTimeout as delay} from 'node:timers/promises'
import {parseArgs} from 'node:util'

import {getSession, isPveLoginError, type LoginProgress, type Session} from 'pve-login'

interface TaskStatus {
  status: 'running' | 'stopped'
  /** `OK` on success, else PVE's error text; only present once stopped. */
  exitstatus?: string
}

const USAGE = 'usage: deploy-vm.ts [--server S] [--realm R] [--fingerprint F | --ca-file PEM] [--node pve1] [--template 9000] [--newid N] [--name NAME]'

function parseOptions() {
  const {values} = parseArgs({
    options: {
      server: {type: 'string'},
      realm: {type: 'string'},
      fingerprint: {type: 'string'},
      'ca-file': {type: 'string'},
      node: {type: 'string', default: 'pve1'},
      template: {type: 'string', default: '9000'},
      newid: {type: 'string'},
      name: {type: 'string'},
    },
  })
  const template = Number(values.template)
  const newid = values.newid === undefined ? undefined : Number(values.newid)
  if (!Number.isInteger(template) || (newid !== undefined && !Number.isInteger(newid))) throw new TypeError('--template and --newid are VM ids (integers)')
  return {...values, node: values.node, template, newid}
}

/** A browser login needs the person to see the URL when no browser could be opened (SSH, no display). */
function showLoginProgress(event: LoginProgress): void {
  if (event.type === 'browser-unavailable') console.error(`Open this URL in a browser to sign in to PVE:\n  ${event.url}`)
  if (event.type === 'browser-opened') console.error('Signing in to PVE in your browser…')
}

/**
 * The next free id on this node. A real cluster should ask GET /cluster/nextid, which knows every node's guests;
 * this keeps the example runnable against the one-node test sandbox.
 */
async function nextFreeId(session: Session, node: string): Promise<number> {
  const guests = await session.get<{vmid: number}[]>(`/nodes/${node}/qemu`)
  return Math.max(99, ...guests.map((guest) => guest.vmid)) + 1
}

/** Polls the task until PVE reports it stopped; PVE tasks have no push notification. */
async function waitForTask(session: Session, node: string, upid: string): Promise<TaskStatus> {
  for (;;) {
    const task = await session.get<TaskStatus>(`/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`)
    if (task.status === 'stopped') return task
    await delay(1000)
  }
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>
  try {
    options = parseOptions()
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    return 2
  }

  const session = await getSession({
    server: options.server,
    realm: options.realm,
    tls: {fingerprint: options.fingerprint, caFile: options['ca-file']},
    onProgress: showLoginProgress,
    logger: {warn: (message) => console.error(`pve-login: ${message}`)},
  })
  try {
    // A clone of a big disk can outlast the ticket's 2 hours; keepAlive renews it in the background.
    session.keepAlive()
    const newid = options.newid ?? (await nextFreeId(session, options.node))
    const upid = await session.post<string>(`/nodes/${options.node}/qemu/${options.template}/clone`, {
      newid,
      ...(options.name ? {name: options.name} : {}),
    })
    console.error(`Cloning ${options.template} to ${newid} on ${options.node} as ${session.username}: task ${upid}`)
    const task = await waitForTask(session, options.node, upid)
    if (task.exitstatus !== 'OK') {
      console.error(`The clone task failed: ${task.exitstatus ?? 'no exit status'}`)
      return 1
    }
    console.log(JSON.stringify({node: options.node, template: options.template, vmid: newid, upid, exitstatus: task.exitstatus}))
    return 0
  } finally {
    await session.close()
  }
}

try {
  process.exitCode = await main()
} catch (error) {
  // pve-login's errors carry a stable code to branch on and a hint for the person reading the message.
  if (!isPveLoginError(error)) throw error
  console.error(`${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ''}`)
  process.exitCode = 1
}
