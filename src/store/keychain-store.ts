import {requirePackage} from '../require-package.js'
import {lookUpSecret, pingSecretService, type PingResult} from './secret-service.js'
import {KEYCHAIN_SERVICE} from './ticket-store.js'

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 3000

/** How a keychain call ended: an answer, the keychain's refusal (its own words), or no answer in time. */
export type KeychainOutcome<T> = {kind: 'answer'; value: T} | {kind: 'refused'; detail: string} | {kind: 'no answer'}

type KeyringModule = typeof import('@napi-rs/keyring')

/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through @napi-rs/keyring:
 * service `pve-login`, account `<userid>@<host:port>`, the secret is the session JSON. Outcomes, not exceptions,
 * so that the caller decides what a refusal means. There is no listing: src/store/session-index.ts knows the
 * accounts.
 *
 * A frozen Secret Service (gnome-keyring stopped with SIGSTOP) must not hold a command, and nothing of a keychain
 * call may outlive the command. Measured with @napi-rs/keyring 2.1 against a frozen gnome-keyring:
 * - `Entry`/`AsyncEntry` connect to D-Bus in their constructor, on the calling thread: the event loop (and every
 *   timer, so any Promise.race deadline) stops for the addon's own 2 s D-Bus timeout.
 * - `findCredentials`/`findCredentialsAsync` never return, and a call still running on libuv's pool makes even
 *   `process.exit()` wait for ever (Node joins the pool at exit).
 * - A worker thread frees the event loop, but exit still waits for its native call, and booting one costs about
 *   as much CPU as the rest of a cached `env`; a child process costs a second Node start-up.
 * So on Linux a read is asked of the Secret Service from JavaScript (src/store/secret-service.ts: a deadline that
 * really can be walked away from, nothing left pending), which also proves it answers; for anything else it is
 * first pinged the same way, once per process. Only a service that answered gets the addon's synchronous `Entry`
 * calls, which then take milliseconds. The listing call is never made.
 *
 * A cached `env` reads without the addon at all: loading it and its `Entry` (a D-Bus connection of its own and a
 * Diffie-Hellman session) cost a third of such a call, more than its own work and the read together (measured on
 * 2 cores with Node 20 and gnome-keyring). The addon still reads what the JavaScript read leaves to it.
 */
export class KeychainStore {
  readonly location = `the OS keychain (service "${KEYCHAIN_SERVICE}")`
  private reachable: Promise<PingResult> | undefined
  private keyring: KeyringModule | undefined

  constructor(
    readonly timeoutMs: number = DEFAULT_KEYCHAIN_TIMEOUT_MS,
    private readonly bus: string | undefined = process.env['DBUS_SESSION_BUS_ADDRESS'],
  ) {}

  /** The stored secret, or null when there is no item for the account. */
  async get(account: string): Promise<KeychainOutcome<string | null>> {
    // A service this process already found silent or absent is not asked again (call() says so at once).
    if (process.platform === 'linux' && (this.reachable === undefined || (await this.reachable).status === 'answers')) {
      const lookup = await lookUpSecret(this.bus, {service: KEYCHAIN_SERVICE, username: account}, this.timeoutMs)
      // What the read found out about the service spares the later calls of this process their ping.
      this.reachable = Promise.resolve<PingResult>(lookup.kind === 'no answer' ? {status: 'no answer'} : lookup.kind === 'absent' ? {status: 'absent', detail: lookup.detail} : {status: 'answers'})
      if (lookup.kind === 'found') return {kind: 'answer', value: lookup.secret}
      if (lookup.kind === 'none') return {kind: 'answer', value: null}
    }
    return this.call((entry) => entry.getPassword() ?? null, account)
  }

  set(account: string, secret: string): Promise<KeychainOutcome<null>> {
    return this.call((entry) => (entry.setPassword(secret), null), account)
  }

  /** true when an item was deleted, false when there was none. */
  delete(account: string): Promise<KeychainOutcome<boolean>> {
    return this.call((entry) => entry.deleteCredential(), account)
  }

  private async call<T>(operation: (entry: InstanceType<KeyringModule['Entry']>) => T, account: string): Promise<KeychainOutcome<T>> {
    if (process.platform === 'linux') {
      this.reachable ??= pingSecretService(this.bus, this.timeoutMs)
      const reachable = await this.reachable
      if (reachable.status === 'no answer') return {kind: 'no answer'}
      if (reachable.status === 'absent') return {kind: 'refused', detail: `no Secret Service: ${reachable.detail ?? 'not on the session bus'}`}
    }
    this.keyring ??= requirePackage<KeyringModule>('@napi-rs/keyring')
    try {
      // Pinned to the Secret Service on Linux: the addon's default falls back to the kernel keyring, which loses
      // everything at reboot and is invisible to every keychain tool.
      const entry = new this.keyring.Entry(KEYCHAIN_SERVICE, account, process.platform === 'linux' ? {linux: {store: 'secret-service'}} : undefined)
      return {kind: 'answer', value: operation(entry)}
    } catch (error) {
      return {kind: 'refused', detail: (error as Error).message}
    }
  }
}

/** What a failed keychain call says about the keychain, in the index's terms. */
export function keychainVerdictOf(outcome: KeychainOutcome<unknown>): 'absent' | 'unresponsive' | 'refuses-writes' | undefined {
  if (outcome.kind === 'answer') return undefined
  if (outcome.kind === 'no answer') return 'unresponsive'
  // libdbus' words for a reply that never came (its own 2 s limit inside the addon).
  if (/did not receive a reply|timed? ?out/i.test(outcome.detail)) return 'unresponsive'
  // No session bus, or nothing on it that provides org.freedesktop.secrets.
  if (/no Secret Service|failed to connect|autolaunch|no such file|ServiceUnknown|NameHasNoOwner|not provided by any/i.test(outcome.detail)) return 'absent'
  return 'refuses-writes'
}

/** The words for a person about why the keychain is not used. */
export function keychainProblem(verdict: 'absent' | 'unresponsive' | 'refuses-writes', timeoutMs: number): string {
  switch (verdict) {
    case 'absent':
      return process.platform === 'linux' ? 'No OS keychain here (no Secret Service on the session bus)' : 'No OS keychain here'
    case 'unresponsive':
      return `The OS keychain did not answer within ${timeoutMs / 1000} s`
    case 'refuses-writes':
      return 'The OS keychain can be read but refused to store the ticket (on Linux: a locked collection, and nothing to ask for its password)'
  }
}
