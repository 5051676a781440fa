import {AuthenticationFailedError, LoginRequiredError} from '../errors.js'
import type {PveClient} from '../pve/pve-client.js'
import {hasClockSkew, usableSecondsLeft} from '../pve/ticket.js'
import {strayWarning} from '../store/file-store.js'
import {findSession, type StoreListing, type TicketStore} from '../store/ticket-store.js'
import {acquireSessionLock} from './lock.js'
import {rememberProfile} from './profile-config.js'
import {DEFAULT_MIN_VALID_SECONDS} from './renewal-policy.js'
import {renewRecord} from './renew-ticket.js'
import {Session} from './session.js'
import type {LoginSessionOptions, SessionLogger, SessionOptions, SessionSource} from './session-options.js'
import {createClient, openSettingsStore, systemClock} from './session-services.js'
import type {SessionKey, SessionRecord} from './session-record.js'
import {resolveSettings, type Settings} from './settings.js'

/** A session as stored, with where it came from: what `getSession` builds a Session from. */
export interface SessionRecordResult {
  record: SessionRecord
  source: SessionSource
  settings: Settings
  store: TicketStore
}

/**
 * The session to use for a server and realm: the cached ticket when it has minValidSeconds left, else a silent
 * renewal, else (only when interactive) a browser login. One process at a time does the renewal or login per
 * server and realm; the others wait and then take its result from the store. Never replaces a usable cached
 * ticket with a failure.
 */
export async function getSession(options: SessionOptions = {}): Promise<Session> {
  const found = await getSessionRecord(options)
  const client = await createClient(found.settings, options)
  return new Session(found.record, found.source, client, found.store, found.settings, options.now ?? systemClock, options.logger)
}

/**
 * getSession without the Session object: the stored record only. The HTTP stack (undici) is loaded only when a
 * renewal or login is needed, so answering from the cache stays cheap (the CLI's `env` and `ticket` use this).
 */
export async function getSessionRecord(options: SessionOptions = {}): Promise<SessionRecordResult> {
  const settings = await resolveSettings(options)
  const now = options.now ?? systemClock
  const minValid = options.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS
  const store = openSettingsStore(settings, options)
  const key: SessionKey = {server: settings.server, realm: settings.realm}
  const fresh = (record: SessionRecord): boolean => usableSecondsLeft(new Date(record.issuedAt), now()) >= minValid
  const done = (record: SessionRecord, source: SessionSource): SessionRecordResult => {
    warnAboutSkew(record, now, options.logger)
    return {record, source, settings, store}
  }

  if (!options.forceLogin) {
    const cached = await readSession(store, key, options.logger)
    if (cached && fresh(cached)) return done(cached, 'cache')
  }

  const release = await acquireSessionLock(settings.paths.stateDir, key, {
    signal: options.signal,
    staleMs: options.lockStaleMs,
    onWait: () => options.logger?.warn('Another pve-login is logging in or renewing this session; waiting for it…'),
  })
  let client: PveClient | undefined
  try {
    const cached = await readSession(store, key, options.logger)
    if (!options.forceLogin) {
      if (cached && fresh(cached)) return done(cached, 'cache')
      if (cached && usableSecondsLeft(new Date(cached.issuedAt), now()) > 0) {
        client = await createClient(settings, options)
        const renewed = await tryRenew(client, cached, now, options.logger)
        if (renewed) {
          if (renewed !== cached) await store.save(renewed, {reason: 'renewal'})
          return done(renewed, renewed === cached ? 'cache' : 'renewed')
        }
      }
    }
    const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY)
    if (!interactive) {
      throw new LoginRequiredError(`No valid PVE ticket for realm ${settings.realm} on ${settings.server}, and an interactive login is not allowed here.`, {
        server: settings.server,
        realm: settings.realm,
        advice: {kind: 'log-in', server: settings.server, realm: settings.realm},
      })
    }
    return done(await loginAndStore(settings, store, options), 'login')
  } finally {
    await client?.close()
    await release()
  }
}

/** Runs the browser login (always, whatever is cached) and stores the result: what the `login` command does. */
export async function login(options: LoginSessionOptions = {}): Promise<Session> {
  return getSession({...options, forceLogin: true, interactive: true})
}

async function loginAndStore(settings: Settings, store: TicketStore, options: SessionOptions): Promise<SessionRecord> {
  const {browserLogin} = await import('../login/login-flow.js')
  // SessionOptions takes the login's options under the same names (session-options.ts picks them from LoginOptions).
  const record = await browserLogin({...options, server: settings.server, realm: settings.realm, tls: settings.tls})
  await store.save(record, {reason: 'login'})
  await rememberProfile(settings.paths.configDir, settings.profile, {
    server: settings.server,
    realm: settings.realm,
    // The trust this login used replaces the remembered one: a pin or a CA file, never both.
    ...(record.tlsPin ? {fingerprint: record.tlsPin, caFile: null} : settings.tls.caFile ? {caFile: settings.tls.caFile, fingerprint: null} : {}),
  })
  return record
}

async function tryRenew(client: PveClient, record: SessionRecord, now: () => Date, logger: SessionLogger | undefined): Promise<SessionRecord | undefined> {
  try {
    return await renewRecord(client, record, now)
  } catch (error) {
    // PVE refuses an expired or revoked-user ticket: a browser login is the only way on.
    if (error instanceof AuthenticationFailedError) return undefined
    const left = usableSecondsLeft(new Date(record.issuedAt), now())
    logger?.warn(`Renewing the ticket failed (${(error as Error).message}); using the cached ticket, valid for ${Math.floor(left / 60)} more minutes.`)
    return record
  }
}

async function readSession(store: TicketStore, key: SessionKey, logger: SessionLogger | undefined): Promise<SessionRecord | undefined> {
  const listing = await store.find(key)
  warnAboutUnreadable(listing, store, logger)
  return findSession(listing, key)
}

/** Damaged sessions and stray entries are skipped, and said once per process: they must never stop a command. */
const warnedUnreadable = new Set<string>()
export function warnAboutUnreadable(listing: StoreListing, store: Pick<TicketStore, 'location'>, logger: SessionLogger | undefined): void {
  for (const account of listing.corrupt) {
    if (warnedUnreadable.has(`corrupt\n${account}`)) continue
    warnedUnreadable.add(`corrupt\n${account}`)
    logger?.warn(`Ignoring the unreadable stored session "${account}" in ${store.location}; the next login replaces it.`)
  }
  const stray = (listing.stray ?? []).filter((entry) => !warnedUnreadable.has(`stray\n${entry}`))
  if (stray.length === 0) return
  for (const entry of stray) warnedUnreadable.add(`stray\n${entry}`)
  logger?.warn(strayWarning(stray))
}

const warnedSkew = new WeakSet<SessionLogger>()
function warnAboutSkew(record: SessionRecord, now: () => Date, logger: SessionLogger | undefined): void {
  if (!logger || warnedSkew.has(logger) || !hasClockSkew(new Date(record.issuedAt), now())) return
  warnedSkew.add(logger)
  logger.warn(`The ticket was issued at ${record.issuedAt}, more than 5 minutes in the future: this computer's clock (or the server's) is wrong, so renewal timing will be off. Check NTP on both.`)
}
