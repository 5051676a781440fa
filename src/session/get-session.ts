import {AuthenticationFailedError, LoginRequiredError} from '../errors.js'
import {formatDuration} from '../format/duration.js'
import type {PveClient} from '../pve/pve-client.js'
import {CLOCK_OFFSET_WARNING_SECONDS, hasClockSkew, usableSecondsLeft} from '../pve/ticket.js'
import {strayWarning} from '../store/file-store.js'
import {findSession, type StoreListing, type TicketStore} from '../store/ticket-store.js'
import {rememberProfile} from './profile-config.js'
import {DEFAULT_MIN_VALID_SECONDS, mayRenewSilently, RENEWAL_RETRY_AFTER_SECONDS} from './renewal-policy.js'
import {renewRecord} from './renew-ticket.js'
import type {Session} from './session.js'
import type {LoginSessionOptions, SessionLogger, SessionOptions, SessionSource} from './session-options.js'
import {clientFactory, createClient, openSettingsStore, systemClock} from './session-services.js'
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
  const client = await clientFactory(found.settings, options)
  // The Session class (and what its API-token methods need) loads here, not with getSessionRecord, which the
  // cached `env` and `ticket` use.
  const {Session} = await import('./session.js')
  return new Session(found.record, found.source, client, found.store, found.settings, options.now ?? systemClock, options.logger, options.maxSessionSeconds)
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
  const fresh = (record: SessionRecord): boolean => secondsLeft(record, now()) >= minValid
  const done = (record: SessionRecord, source: SessionSource): SessionRecordResult => {
    warnAboutClock(record, source, now, options.logger)
    return {record, source, settings, store}
  }

  if (!options.forceLogin) {
    const cached = await readSession(store, key, options.logger)
    if (cached && fresh(cached)) return done(cached, 'cache')
  }

  // Loaded only past the cache: the lock brings node:crypto, timers and proper-lockfile, none of which a cached answer needs.
  const {acquireSessionLock, attemptStillRunning, readRenewalAttempt, recordRenewalAttempt} = await import('./lock.js')
  let storedMeanwhile: SessionRecord | undefined
  const release = await acquireSessionLock(settings.paths.stateDir, key, {
    signal: options.signal,
    staleMs: options.lockStaleMs,
    onWait: () => options.logger?.warn('Another pve-login is logging in or renewing this session; waiting for it…'),
    // The process we waited for renewed (or logged in) and stored the result: it serves us without the lock, so fifty
    // callers at renewal time do not file through the lock one by one just to read it.
    waitingIsOver: async () => {
      if (options.forceLogin) return false
      storedMeanwhile = await readSession(store, key, options.logger)
      return storedMeanwhile !== undefined && fresh(storedMeanwhile)
    },
  })
  if (!release) return done(storedMeanwhile!, 'cache')
  let client: PveClient | undefined
  try {
    const cached = await readSession(store, key, options.logger)
    /** Why no silent renewal happened, for the error when no browser login may start. */
    let noRenewal: string | undefined
    if (!options.forceLogin && cached) {
      if (fresh(cached)) return done(cached, 'cache')
      const left = secondsLeft(cached, now())
      if (left > 0 && !mayRenewSilently(cached.loginAt, now(), options.maxSessionSeconds)) {
        noRenewal = `its browser login was more than ${formatDuration(options.maxSessionSeconds ?? 0)} ago (the maximum session age), so it is not renewed silently`
      } else if (left > 0) {
        const earlier = await readRenewalAttempt(settings.paths.stateDir, key)
        const sameTicket = earlier && earlier.ticketIssuedAt === cached.issuedAt && earlier.username === cached.username
        const recent = sameTicket && now().getTime() - Date.parse(earlier.at) < RENEWAL_RETRY_AFTER_SECONDS * 1000
        if (sameTicket && recent && earlier.outcome === 'failed') {
          // The process before us just tried; one more attempt per waiting process is the storm PVE does not need.
          options.logger?.warn(`Renewing the ticket failed moments ago in another pve-login (${earlier.message}); using the cached ticket, valid for ${Math.floor(left / 60)} more minutes.`)
          return done(cached, 'cache')
        }
        if (sameTicket && recent && attemptStillRunning(earlier)) {
          // We took the lock over from a holder too starved to keep it fresh; its renewal is still under way.
          options.logger?.warn(`Another pve-login is renewing the ticket right now; using the cached ticket, valid for ${Math.floor(left / 60)} more minutes.`)
          return done(cached, 'cache')
        }
        if (sameTicket && earlier.outcome === 'refused') {
          noRenewal = `PVE refused to renew it (${earlier.message})`
        } else {
          const attempt = {ticketIssuedAt: cached.issuedAt, username: cached.username}
          await recordRenewalAttempt(settings.paths.stateDir, key, {...attempt, at: now().toISOString(), outcome: 'started', message: '', pid: process.pid})
          client = await createClient(settings, options)
          const outcome = await tryRenew(client, cached, now)
          if (outcome.kind === 'renewed') {
            await store.save(outcome.record, {reason: 'renewal'})
            return done(outcome.record, 'renewed')
          }
          await recordRenewalAttempt(settings.paths.stateDir, key, {...attempt, at: now().toISOString(), outcome: outcome.kind, message: outcome.message})
          if (outcome.kind === 'failed') {
            options.logger?.warn(`Renewing the ticket failed (${outcome.message}); using the cached ticket, valid for ${Math.floor(secondsLeft(cached, now()) / 60)} more minutes.`)
            return done(cached, 'cache')
          }
          noRenewal = `PVE refused to renew it (${outcome.message})`
        }
      }
    }
    const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY)
    if (!interactive) {
      const why = noRenewal ? `The cached ticket for realm ${settings.realm} on ${settings.server} cannot be used further: ${noRenewal}` : `No valid PVE ticket for realm ${settings.realm} on ${settings.server}`
      throw new LoginRequiredError(`${why}, and an interactive login is not allowed here.`, {
        server: settings.server,
        realm: settings.realm,
        advice: {kind: 'log-in', server: settings.server, realm: settings.realm},
      })
    }
    return done(await loginAndStore(settings, store, options, cached), 'login')
  } finally {
    await client?.close()
    await release()
  }
}

/** Runs the browser login (always, whatever is cached) and stores the result: what the `login` command does. */
export async function login(options: LoginSessionOptions = {}): Promise<Session> {
  return getSession({...options, forceLogin: true, interactive: true})
}

async function loginAndStore(settings: Settings, store: TicketStore, options: SessionOptions, previous: SessionRecord | undefined): Promise<SessionRecord> {
  const {browserLogin} = await import('../login/login-flow.js')
  // SessionOptions takes the login's options under the same names (session-options.ts picks them from LoginOptions).
  const record = await browserLogin({...options, server: settings.server, realm: settings.realm, tls: settings.tls})
  if (previous && previous.username !== record.username) {
    // A login swapped in by someone else (a forged callback) would show up here first.
    options.logger?.warn(
      `Signed in as ${record.username}, but the previous session for realm ${record.realm} on ${record.server} was ${previous.username}. ` +
        'If you did not mean to sign in as a different user, log out now and tell your administrator.',
    )
  }
  await store.save(record, {reason: 'login'})
  await rememberProfile(settings.paths.configDir, settings.profile, {
    server: settings.server,
    realm: settings.realm,
    // The trust this login used replaces the remembered one: a pin or a CA file, never both.
    ...(record.tlsPin ? {fingerprint: record.tlsPin, caFile: null} : settings.tls.caFile ? {caFile: settings.tls.caFile, fingerprint: null} : {}),
  })
  return record
}

type RenewOutcome = {kind: 'renewed'; record: SessionRecord} | {kind: 'failed' | 'refused'; message: string}

async function tryRenew(client: PveClient, record: SessionRecord, now: () => Date): Promise<RenewOutcome> {
  try {
    return {kind: 'renewed', record: await renewRecord(client, record, now)}
  } catch (error) {
    // PVE refuses an expired or revoked-user ticket: a browser login is the only way on.
    const message = error instanceof AuthenticationFailedError && error.cause instanceof Error ? error.cause.message : (error as Error).message
    return {kind: error instanceof AuthenticationFailedError ? 'refused' : 'failed', message}
  }
}

/** Seconds of use left on a stored ticket, judged by the server's clock (see the record's clockOffsetSeconds). */
export function secondsLeft(record: SessionRecord, now: Date): number {
  return usableSecondsLeft(new Date(record.issuedAt), now, record.clockOffsetSeconds ?? 0)
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

const warnedClock = new WeakSet<SessionLogger>()
/** Once per process (per logger): a clock offset just measured beyond a minute, or a clock that moved since. */
function warnAboutClock(record: SessionRecord, source: SessionSource, now: () => Date, logger: SessionLogger | undefined): void {
  if (!logger || warnedClock.has(logger)) return
  const offset = record.clockOffsetSeconds ?? 0
  if (source !== 'cache' && Math.abs(offset) > CLOCK_OFFSET_WARNING_SECONDS) {
    warnedClock.add(logger)
    const amount = formatOffset(Math.abs(offset))
    logger.warn(
      `The server's clock is ${amount} ${offset > 0 ? 'ahead of' : 'behind'} this computer's. pve-login allows for it, but other tools that ` +
        'judge the ticket by this computer\'s clock will be off. Check NTP on both.',
    )
    return
  }
  if (hasClockSkew(new Date(record.issuedAt), now(), offset)) {
    warnedClock.add(logger)
    logger.warn(`The ticket was issued at ${record.issuedAt}, more than 5 minutes in the future by the server's clock as last measured: a clock changed since, so renewal timing will be off. Check NTP on both.`)
  }
}

function formatOffset(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} seconds`
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`
  return `${(seconds / 3600).toFixed(1)} hours`
}
