import {isUtf8} from 'node:buffer'

import {SessionBusConversation, SessionBusError, type BusReply} from './session-bus.js'

/**
 * What pve-login asks the Secret Service itself (https://specifications.freedesktop.org/secret-service/latest/),
 * over src/store/session-bus.ts, with a deadline that can really be walked away from: whether it answers at all,
 * and a cached session's secret. The keychain addon stays for what needs more (writes, deletes, unlock prompts);
 * see src/store/keychain-store.ts for why its calls are guarded.
 */

const SERVICE = {destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets'} as const
const SERVICE_INTERFACE = 'org.freedesktop.Secret.Service'
/** Errors from the bus itself about the name: nothing provides org.freedesktop.secrets (or it could not be started). */
const NOT_ON_THE_BUS = /ServiceUnknown|NameHasNoOwner|Spawn\./

export interface PingResult {
  status: 'answers' | 'absent' | 'no answer'
  /** Why it is absent, in the words of the socket or the bus (for --debug). */
  detail?: string
}

/** Does a Secret Service answer on the session bus right now? One D-Bus Peer.Ping to org.freedesktop.secrets. */
export async function pingSecretService(address: string | undefined, timeoutMs: number): Promise<PingResult> {
  const bus = new SessionBusConversation(address, timeoutMs)
  try {
    const reply = await bus.call({...SERVICE, interface: 'org.freedesktop.DBus.Peer', member: 'Ping'})
    // Any other error (a service without Peer.Ping) still proves something answered.
    return reply.kind === 'error' && NOT_ON_THE_BUS.test(reply.name) ? absentFor(reply, address) : {status: 'answers'}
  } catch (error) {
    return unreachable(error)
  } finally {
    bus.close()
  }
}

/**
 * The secret of the one item with exactly these attributes, read as the keychain addon reads it (a search over all
 * collections by attributes, then the item's secret; https://github.com/open-source-cooperative/dbus-secret-service-keyring-store,
 * src/cred.rs), or what stands in the way:
 * - `none`: no such item;
 * - `addon`: something only the addon handles, in its own words: a locked item (unlocking may prompt), more than
 *   one match (its "ambiguous" error), a service without the `plain` algorithm, a secret that is not UTF-8.
 *
 * The secret travels in a `plain` session, which the specification strongly recommends every service support
 * (section 7.2): the session bus is the user's own, any process that could read the conversation could as well ask
 * for the secret itself, and the encrypted sessions only keep clear text out of dbus-daemon's memory, which the
 * specification itself calls of questionable value for a program whose own memory may be paged (section 7). It
 * saves a Diffie-Hellman exchange. Round trips: Hello (to the bus), the search, and for a secret the session and the
 * secret itself.
 */
export type SecretLookup = {kind: 'found'; secret: string} | {kind: 'none'} | {kind: 'addon'; reason: string} | {kind: 'absent'; detail: string} | {kind: 'no answer'}

export async function lookUpSecret(address: string | undefined, attributes: Record<string, string>, timeoutMs: number): Promise<SecretLookup> {
  const bus = new SessionBusConversation(address, timeoutMs)
  try {
    // The session is asked for only after the search's reply. gnome-keyring (42) registers each client from an
    // idle callback queued as its messages arrive, and a method handled before that finds no client: a search is
    // refused (UnknownMethod, which leaves the read to the addon), but an OpenSession aborts the daemon (an
    // assertion in plain_negotiate, then a GLib error). Sent in one burst with the search right after Hello, that
    // happened about once in 50 reads; in this order, never in 9000.
    const search = await bus.call({...SERVICE, interface: SERVICE_INTERFACE, member: 'SearchItems', args: [{type: 'a{ss}', value: attributes}]})
    if (search.kind === 'error') return NOT_ON_THE_BUS.test(search.name) ? {kind: 'absent', detail: absentFor(search, address).detail!} : {kind: 'addon', reason: `SearchItems: ${search.name}`}
    const [unlocked, locked] = search.body as [string[], string[]]
    if (locked.length > 0) return {kind: 'addon', reason: 'a matching item is locked'}
    if (unlocked.length > 1) return {kind: 'addon', reason: `${unlocked.length} items match`}
    if (unlocked.length === 0) return {kind: 'none'}
    const opened = await bus.call({...SERVICE, interface: SERVICE_INTERFACE, member: 'OpenSession', args: [{type: 's', value: 'plain'}, {type: 'v', value: {type: 's', value: ''}}]})
    if (opened.kind === 'error') return {kind: 'addon', reason: `OpenSession plain: ${opened.name}`}
    const session = opened.body[1] as string
    const reply = await bus.call({destination: SERVICE.destination, path: unlocked[0]!, interface: 'org.freedesktop.Secret.Item', member: 'GetSecret', args: [{type: 'o', value: session}]})
    if (reply.kind === 'error') return {kind: 'addon', reason: `GetSecret: ${reply.name}`}
    // (oayays): the session, the algorithm's parameters (none for plain), the value, its content type.
    const [[, , value]] = reply.body as [[string, Buffer, Buffer, string]]
    if (!isUtf8(value)) return {kind: 'addon', reason: 'the secret is not UTF-8'}
    return {kind: 'found', secret: value.toString('utf8')}
  } catch (error) {
    const result = unreachable(error)
    return result.status === 'no answer' ? {kind: 'no answer'} : {kind: 'absent', detail: result.detail ?? 'not on the session bus'}
  } finally {
    bus.close()
  }
}

function absentFor(reply: Extract<BusReply, {kind: 'error'}>, address: string | undefined): PingResult {
  return {status: 'absent', detail: `${reply.name} for org.freedesktop.secrets on ${address}`}
}

function unreachable(error: unknown): PingResult {
  if (!(error instanceof SessionBusError)) throw error
  return error.reason === 'no answer' ? {status: 'no answer'} : {status: 'absent', detail: error.message}
}
