import {PveApiError, PveLoginError, TlsVerificationError} from '../errors.js'
import {LoopbackListener} from '../login/loopback-listener.js'
import {loadUndici} from '../pve/pve-dispatcher.js'
import {usableSecondsLeft} from '../pve/ticket.js'
import {probeFingerprint} from '../pve/tls.js'
import type {CheckResult, RealmSettings} from './doctor-check.js'
import type {DoctorContext} from './doctor-context.js'
import {idpKindOf} from './idp-kind.js'

/** Checks 1–5: the PVE side, up to the IdP URL PVE builds. None of them creates a ticket. */

/** Tickets are judged by time; PVE lets a ticket be up to 5 minutes "from the future" (AccessControl.pm). */
const CLOCK_WARN_SECONDS = 30
const CLOCK_FAIL_SECONDS = 300

export async function checkServer(context: DoctorContext): Promise<CheckResult> {
  const {client, settings} = context
  try {
    context.realms = await client.domains(context.signal)
  } catch (error) {
    if (error instanceof TlsVerificationError) {
      return {
        check: 'server',
        status: 'fail',
        detail: error.message,
        fix: {kind: 'trust-certificate', server: client.server, ...(error.fingerprint ? {fingerprint: error.fingerprint} : {}), changed: client.trust.mode === 'pin'},
      }
    }
    if (error instanceof PveLoginError && error.code === 'ABORTED') throw error
    return {check: 'server', status: 'fail', detail: (error as Error).message, fix: {kind: 'reach-server', server: client.server}}
  }
  const reached = `PVE answered at ${client.server}`
  switch (client.trust.mode) {
    case 'pin':
      return {check: 'server', status: 'ok', detail: `${reached}; its certificate matches the pinned SHA-256 fingerprint ${client.trust.fingerprint}.`}
    case 'ca':
      return {check: 'server', status: 'ok', detail: `${reached}; its certificate is signed by the given CA${settings.tls.caFile ? ` (${settings.tls.caFile})` : ''}.`}
    case 'system':
      return {check: 'server', status: 'ok', detail: `${reached}; its certificate is trusted by this computer's CA store.`}
    case 'insecure': {
      const url = new URL(client.server)
      const fingerprint = await probeFingerprint({host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443)}, 5000)
      return {
        check: 'server',
        status: 'warn',
        detail: `${reached}, but its certificate was not checked (insecure)${fingerprint ? `; it presents SHA-256 ${fingerprint}` : ''}.`,
        fix: {kind: 'trust-certificate', server: client.server, ...(fingerprint ? {fingerprint} : {}), changed: false},
      }
    }
  }
}

/** The HTTP Date header of a fresh answer against this machine's clock, at the midpoint of the request. */
export async function checkClock(context: DoctorContext): Promise<CheckResult> {
  const {client} = context
  const sent = Date.now()
  const response = await loadUndici().fetch(new URL('/api2/json/access/domains', client.server), {
    dispatcher: client.dispatcher,
    signal: context.signal ? AbortSignal.any([context.signal, AbortSignal.timeout(context.timeoutMs)]) : AbortSignal.timeout(context.timeoutMs),
    headers: {accept: 'application/json', 'user-agent': 'pve-login doctor'},
  })
  await response.body?.cancel()
  const received = Date.now()
  const date = Date.parse(response.headers.get('date') ?? '')
  if (Number.isNaN(date)) return {check: 'clock', status: 'warn', detail: 'The server sent no usable Date header, so its clock cannot be compared with this one.'}
  // The header has whole seconds: allow for that and for half the round trip.
  const skew = Math.round((date + 500 - (sent + received) / 2) / 1000)
  const size = Math.abs(skew)
  const words = `The server's clock is ${size} s ${skew > 0 ? 'ahead of' : 'behind'} this computer's`
  if (size <= CLOCK_WARN_SECONDS) return {check: 'clock', status: 'ok', detail: `The server's clock and this computer's agree (within ${CLOCK_WARN_SECONDS} s).`}
  if (size < CLOCK_FAIL_SECONDS) return {check: 'clock', status: 'warn', detail: `${words}; tickets are time-based, so renewal timing is off by as much.`, fix: {kind: 'sync-clock', skewSeconds: skew}}
  return {
    check: 'clock',
    status: 'fail',
    detail: `${words}: more than PVE's 5-minute grace, so tickets look expired or not yet valid on one side.`,
    fix: {kind: 'sync-clock', skewSeconds: skew},
  }
}

/** /version needs a ticket: a cached, still valid one is used to read, never a new one made. */
export async function checkPveVersion(context: DoctorContext): Promise<CheckResult> {
  const {listing} = (await context.listing) ?? {}
  const now = context.now()
  const usable = (listing?.records ?? [])
    .filter((record) => record.server === context.settings.server && usableSecondsLeft(new Date(record.issuedAt), now) > 0)
    .sort((a, b) => Number(b.realm === context.realm) - Number(a.realm === context.realm) || Date.parse(b.issuedAt) - Date.parse(a.issuedAt))
  const logIn = {kind: 'log-in-first', server: context.settings.server, ...(context.realm ? {realm: context.realm} : {})} as const
  for (const record of usable) {
    try {
      const data = await context.client.request<{version?: unknown; release?: unknown}>('GET', '/version', {ticket: record.ticket, signal: context.signal})
      if (typeof data?.version !== 'string') break
      context.session = record
      context.pveVersion = data.version
      return {check: 'pve-version', status: 'ok', detail: `PVE ${data.version} (read with the cached ticket of ${record.username}).`}
    } catch (error) {
      if (error instanceof PveApiError && error.status === 401) continue
      throw error
    }
  }
  return {
    check: 'pve-version',
    status: 'skip',
    detail: 'Unknown: reading the version needs a ticket, and none for this server is cached; the checks that depend on it say what they can.',
    fix: logIn,
  }
}

export async function checkRealm(context: DoctorContext): Promise<CheckResult> {
  const realms = context.realms ?? []
  const openid = realms.filter((realm) => realm.type === 'openid')
  const server = context.settings.server
  if (!context.realm) {
    if (openid.length === 0) return {check: 'realm', status: 'fail', detail: `${server} has no OpenID realm.`, fix: {kind: 'add-openid-realm', server}}
    const chosen = openid.length === 1 ? openid[0] : openid.find((realm) => realm.default)
    if (!chosen) {
      return {
        check: 'realm',
        status: 'warn',
        detail: `No realm given; the OpenID realms of ${server}: ${openid.map((realm) => realm.realm + (realm.comment ? ` (${realm.comment})` : '')).join(', ')}.`,
        fix: {kind: 'choose-realm', server, openidRealms: openid.map((realm) => realm.realm)},
      }
    }
    context.realm = chosen.realm
  }
  const realm = context.realm
  const found = realms.find((entry) => entry.realm === realm)
  const names = openid.map((entry) => entry.realm)
  if (!found) return {check: 'realm', status: 'fail', detail: `Realm ${realm} does not exist on ${server}.`, fix: names.length ? {kind: 'choose-realm', server, openidRealms: names} : {kind: 'add-openid-realm', server}}
  if (found.type !== 'openid') {
    return {check: 'realm', status: 'fail', detail: `Realm ${realm} is a ${found.type || 'non-OpenID'} realm, not an OpenID realm.`, fix: names.length ? {kind: 'choose-realm', server, openidRealms: names} : {kind: 'add-openid-realm', server}}
  }
  const settings = await readRealmSettings(context, realm)
  const about = settings
    ? ` Its settings: client-key ${settings.hasClientKey ? 'set' : 'not set'}, username-claim ${settings.usernameClaim ?? 'sub (default)'}${settings.groupsClaim ? `, groups-claim ${settings.groupsClaim}` : ''}.`
    : context.session
      ? ' Its settings cannot be read with the cached ticket (that needs Sys.Audit on /access/realm), so whether it has a client-key is unknown.'
      : ''
  return {check: 'realm', status: 'ok', detail: `Realm ${realm} is an OpenID realm${found.comment ? ` (${found.comment})` : ''}.${about}`}
}

/** GET /access/domains/{realm} with the cached ticket: PVE returns the realm's section of domains.cfg. */
async function readRealmSettings(context: DoctorContext, realm: string): Promise<RealmSettings | undefined> {
  if (!context.session) return undefined
  try {
    const data = await context.client.request<Record<string, unknown>>('GET', `/access/domains/${encodeURIComponent(realm)}`, {ticket: context.session.ticket, signal: context.signal})
    const text = (key: string) => (typeof data?.[key] === 'string' && data[key] !== '' ? (data[key] as string) : undefined)
    context.realmSettings = {
      ...(text('issuer-url') ? {issuerUrl: text('issuer-url')} : {}),
      ...(text('client-id') ? {clientId: text('client-id')} : {}),
      hasClientKey: text('client-key') !== undefined,
      ...(text('username-claim') ? {usernameClaim: text('username-claim')} : {}),
      ...(text('groups-claim') ? {groupsClaim: text('groups-claim')} : {}),
      ...(data?.autocreate !== undefined ? {autocreate: Number(data.autocreate) === 1} : {}),
    }
    return context.realmSettings
  } catch (error) {
    if (error instanceof PveApiError) return undefined
    throw error
  }
}

/** auth-url with the redirect URL a login would use now (the listener is bound for a moment to learn it). */
export async function checkAuthUrl(context: DoctorContext): Promise<CheckResult> {
  const realm = context.realm!
  const listener = await LoopbackListener.listen({ports: context.ports, redirectHost: context.redirectHost})
  const redirectUrl = listener.redirectUrl
  await listener.close()
  context.redirectUrl = redirectUrl
  let idpUrl: string
  try {
    idpUrl = await context.client.authUrl(realm, redirectUrl, context.signal)
  } catch (error) {
    if (error instanceof PveApiError && error.status >= 500) {
      return {check: 'auth-url', status: 'fail', detail: `PVE could not start a login through ${realm}: ${error.pveMessage}`, fix: {kind: 'pve-cannot-reach-idp', realm, pveMessage: error.pveMessage}}
    }
    throw error
  }
  const problems: string[] = []
  let url: URL | undefined
  try {
    url = new URL(idpUrl)
  } catch {
    problems.push('it is not a URL')
  }
  if (url) {
    const query = url.searchParams
    if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`it is a ${url.protocol} URL`)
    if (query.get('redirect_uri') !== redirectUrl) problems.push(`its redirect_uri is ${query.get('redirect_uri') ?? 'missing'}, not ${redirectUrl}`)
    if (query.get('response_type') !== 'code') problems.push(`its response_type is ${query.get('response_type') ?? 'missing'}, not code`)
    if (query.get('code_challenge_method') !== 'S256') problems.push(`its code_challenge_method is ${query.get('code_challenge_method') ?? 'missing'}, not S256`)
    if (!query.get('client_id')) problems.push('it has no client_id')
  }
  if (problems.length || !url) {
    return {check: 'auth-url', status: 'fail', detail: `PVE's IdP URL for ${realm} is not usable: ${problems.join('; ')}.`, fix: {kind: 'auth-url-unusable', problem: problems.join('; ')}}
  }
  context.authorizationUrl = idpUrl
  context.clientId = url.searchParams.get('client_id')!
  context.idpKind = idpKindOf(idpUrl)
  return {
    check: 'auth-url',
    status: 'ok',
    detail: `PVE sends the browser to ${url.origin}${url.pathname} for client ${context.clientId}, with redirect_uri ${redirectUrl}, response_type=code and PKCE S256.`,
  }
}
