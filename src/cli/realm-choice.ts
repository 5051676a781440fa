import {RealmError} from '../errors.js'
import type {PveRealm} from '../pve/pve-client.js'
import type {SessionOptions} from '../session/session-options.js'
import type {CliIO} from './io.js'
import {askLine} from './line-prompt.js'

/**
 * The first run: `pve-login --server X` with no realm given and none remembered. The server's OpenID realms
 * (GET /access/domains needs no login) are offered, the default one first; a person at a terminal picks one,
 * anything else gets the list in the error (exit 2). With one OpenID realm only, that one is used and said so.
 */
export function openIdRealmsInOrder(realms: readonly PveRealm[]): PveRealm[] {
  const openid = realms.filter((realm) => realm.type === 'openid')
  return [...openid.filter((realm) => realm.default), ...openid.filter((realm) => !realm.default)]
}

function describe(realm: PveRealm): string {
  return `${realm.realm}${realm.comment ? ` (${realm.comment})` : ''}${realm.default ? ' [default]' : ''}`
}

export function realmMenu(realms: readonly PveRealm[]): string {
  return realms.map((realm, index) => `  ${String(index + 1).padStart(2)}) ${describe(realm)}`).join('\n')
}

/** A number from the menu or a realm's name; empty means the first (the default). */
export function parseRealmChoice(answer: string, realms: readonly PveRealm[]): string | undefined {
  const text = answer.trim()
  if (text === '') return realms[0]?.realm
  if (/^\d+$/.test(text)) return realms[Number(text) - 1]?.realm
  return realms.find((realm) => realm.realm === text)?.realm
}

export interface RealmChoiceOptions {
  server: string
  realms: readonly PveRealm[]
  /** A person at a terminal who can answer (stdin and stderr are terminals, no --json). */
  interactive: boolean
  input: () => NodeJS.ReadableStream
  output: NodeJS.WritableStream
  info: (message: string) => void
  signal?: AbortSignal
}

export async function chooseRealm(options: RealmChoiceOptions): Promise<string> {
  const realms = openIdRealmsInOrder(options.realms)
  const names = realms.map((realm) => realm.realm)
  if (realms.length === 0) {
    throw new RealmError(`${options.server} has no OpenID realm.`, [], {hint: 'An administrator adds one (pveum realm add NAME --type openid …); see `pve-login docs setup`.'})
  }
  if (realms.length === 1) {
    options.info(`Using realm ${names[0]}, the only OpenID realm on ${options.server}.`)
    return names[0]!
  }
  if (!options.interactive) {
    throw new RealmError(`No realm given, and none is remembered for this profile. OpenID realms on ${options.server}: ${realms.map(describe).join(', ')}.`, names, {
      hint: 'Pass one with --realm NAME (or PVE_LOGIN_REALM); it is remembered after a successful login.',
    })
  }
  options.info(`OpenID realms on ${options.server}:\n${realmMenu(realms)}`)
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const answer = await askLine(`Realm [1-${realms.length}, Enter for ${names[0]}]: `, {input: options.input(), output: options.output, ...(options.signal ? {signal: options.signal} : {})})
    if (answer === undefined) break
    const chosen = parseRealmChoice(answer, realms)
    if (chosen) return chosen
    options.info(`"${answer}" is none of them: give its number or name.`)
  }
  throw new RealmError('No realm chosen.', names, {hint: `Pass one with --realm NAME: ${names.join(', ')}.`})
}

/**
 * The realm to log in through when none is given and none is remembered (else undefined: the usual resolution
 * applies). Asks the server, then `chooseRealm`.
 */
export async function realmForFirstRun(io: CliIO, options: SessionOptions, mode: {json: boolean}): Promise<string | undefined> {
  const {resolveSettingsIfChosen} = await import('../session/settings.js')
  if ((await resolveSettingsIfChosen(options)) !== 'no realm') return undefined
  // Only server, TLS and store are used from here; the stand-in realm goes nowhere.
  const settings = await resolveSettingsIfChosen({...options, realm: 'no-realm-chosen'})
  if (typeof settings === 'string') return undefined
  const {PveClient} = await import('../pve/pve-client.js')
  const client = new PveClient({server: settings.server, tls: settings.tls, env: options.env, timeoutMs: options.requestTimeoutMs})
  try {
    const realms = await client.domains(options.signal)
    return await chooseRealm({
      server: settings.server,
      realms,
      interactive: io.terminal.stdin && io.terminal.stderr && !mode.json,
      input: () => io.stdin(),
      output: io.stderr,
      info: io.info,
      ...(options.signal ? {signal: options.signal} : {}),
    })
  } finally {
    await client.close()
  }
}
