import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {IDP_ACCOUNTS, type IdpAccount} from './idp-accounts.js'
import {IdpEventLog} from './idp-event-log.js'
import {startIdentityProvider} from './idp.js'
import {OpenIdAuthStateStore} from './openid-auth-state.js'
import {PveApi} from './pve-api.js'
import {ApiTokenDirectory} from './pve-api-tokens.js'
import {TokenAclTree} from './pve-token-acl.js'
import {PveInventory} from './pve-inventory.js'
import {OpenIdEndpoints} from './pve-openid.js'
import {RealmDirectory, sandboxRealms} from './pve-realms.js'
import {sandboxRoutes} from './pve-routes.js'
import {startPveServer} from './pve-server.js'
import {TicketAuthority} from './pve-tickets.js'
import {INITIAL_PVE_USERS, PveUserDirectory} from './pve-users.js'
import {SandboxClock} from './sandbox-clock.js'
import {SandboxControls} from './sandbox-controls.js'
import {SandboxSyslog} from './sandbox-syslog.js'
import {shellWords} from './shell-words.js'
import {createSandboxCertificate} from './tls-certificate.js'

/**
 * Starts the whole sandbox in this process: the identity provider, the PVE-compatible HTTPS server and the
 * controls. `npm run sandbox` (main.ts) and the demo use this; jest tests go through test/helpers/sandbox.ts,
 * which runs main.ts as a child process instead (oidc-provider and openid-client misbehave inside jest's VM).
 */
export interface SandboxOptions {
  /** 0 or undefined: a free random port. */
  pvePort?: number
  idpPort?: number
  /** Password of root@pam; random when not given. */
  rootPassword?: string
  /** How long every 401 takes; PVE waits about 3 s, tests want 0 (the default here). */
  authFailureDelayMs?: number
  /** Reported as `clustername` at login (to users with Sys.Audit on `/`); default `sandbox`, null = standalone node. */
  clusterName?: string | null
}

export interface RealmSummary {
  realm: string
  type: string
  comment: string
  default: boolean
}

export interface Sandbox {
  pveUrl: string
  idpUrl: string
  /** SHA-256 of the server certificate, `AA:BB:…`. */
  fingerprint: string
  /** The server certificate as a PEM file, to use as a CA. */
  caFile: string
  rootPassword: string
  /** A command for `BROWSER` / `--browser-command`; the IdP URL is appended as its last argument. */
  robotBrowser: string
  idpAccounts: readonly IdpAccount[]
  realms: RealmSummary[]
  authFailureDelayMs: number
  controls: SandboxControls
  stop(): Promise<void>
}

/** How to reach the sandbox and log in to it: the JSON line `main.ts --json` prints when ready (test/helpers/sandbox.ts reads it). */
export type SandboxReadyLine = Pick<Sandbox, 'pveUrl' | 'idpUrl' | 'fingerprint' | 'caFile' | 'rootPassword' | 'robotBrowser'>

function robotBrowserCommand(): string {
  // Absolute loader and script paths, so the command works from any working directory. Plain paths, not file:
  // URLs: BROWSER is a list separated like PATH, so a colon would split the command.
  const tsxLoader = fileURLToPath(import.meta.resolve('tsx'))
  const robotScript = fileURLToPath(new URL('./robot-browser.ts', import.meta.url))
  return shellWords([process.execPath, '--import', tsxLoader, robotScript])
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const directory = await mkdtemp(join(tmpdir(), 'pve-sandbox-'))
  const stops: Array<() => Promise<void>> = [() => rm(directory, {recursive: true, force: true})]
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step()
  }
  try {
    const clock = new SandboxClock()
    const idpEvents = new IdpEventLog()
    const syslog = new SandboxSyslog()
    const [certificate, tickets, idp] = await Promise.all([
      createSandboxCertificate(directory),
      TicketAuthority.create(clock),
      startIdentityProvider({port: options.idpPort ?? 0, events: idpEvents}),
    ])
    stops.push(() => idp.close())

    const realms = new RealmDirectory(sandboxRealms({issuers: idp.issuers, confidentialClientSecret: idp.confidentialClientSecret}))
    const users = new PveUserDirectory(INITIAL_PVE_USERS)
    const apiTokens = new ApiTokenDirectory(clock, users)
    const tokenAcl = new TokenAclTree(apiTokens)
    const controls = new SandboxControls({clock, users, apiTokens, idpEvents, syslog, realms}, options.clusterName === undefined ? 'sandbox' : options.clusterName)
    const rootPassword = options.rootPassword ?? randomBytes(12).toString('base64url')
    const authFailureDelayMs = options.authFailureDelayMs ?? 0
    const openid = new OpenIdEndpoints({realms, users, authStates: new OpenIdAuthStateStore(clock), syslog, pveMajor: () => controls.pveMajor()})
    const routes = sandboxRoutes({
      realms,
      users,
      tickets,
      apiTokens,
      tokenAcl,
      inventory: new PveInventory(clock),
      openid,
      syslog,
      rootPassword,
      clusterName: () => controls.clusterName() ?? undefined,
      pveVersion: () => controls.getPveVersion(),
    })
    const api = new PveApi({
      routes,
      tickets,
      users,
      apiTokens,
      authFailureDelayMs,
      hasApiTokens: () => controls.hasApiTokens(),
      isOldPve: () => controls.isOldPve(),
      now: () => controls.dateHeaderTime(),
    })
    const pve = await startPveServer({port: options.pvePort ?? 0, certificate, api, controls})
    stops.push(() => pve.close())

    return {
      pveUrl: pve.url,
      idpUrl: idp.issuer,
      fingerprint: certificate.fingerprint,
      caFile: certificate.caFile,
      rootPassword,
      robotBrowser: robotBrowserCommand(),
      idpAccounts: IDP_ACCOUNTS,
      realms: realms.list().map((realm) => ({realm: realm.realm, type: realm.type, comment: realm.comment, default: realm.default === true})),
      authFailureDelayMs,
      controls,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
