import {statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {AbortedError, TimeoutError} from '../errors.js'
import {requirePackage} from '../require-package.js'
import {ensurePrivateDirectory, writePrivateFileAtomic} from '../store/private-file.js'
import {sessionSlotName} from '../store/session-slot-name.js'
import type {SessionKey} from './session-record.js'

/** A lock whose holder stopped refreshing it for this long is taken over: the holder crashed or was killed. */
export const LOCK_STALE_MS = 10_000

export interface SessionLockOptions {
  signal?: AbortSignal
  /** Give up waiting after this long (a login holds the lock while the person is in the browser). */
  waitTimeoutMs?: number
  /** Called once when the lock is busy, so a CLI can say that another pve-login is working. */
  onWait?: () => void
  /** How long a holder may go without refreshing the lock before it counts as dead (proper-lockfile's minimum: 2 s). Default LOCK_STALE_MS. */
  staleMs?: number
  /**
   * Asked once the holder this process waited for has let go, before taking the lock: true ends the wait without
   * it (the holder's work, e.g. a renewal it stored, made this process's unnecessary).
   */
  waitingIsOver?: () => Promise<boolean>
}

export type ReleaseLock = () => Promise<void>

/**
 * One renewal or login at a time per server and realm, across processes. The lock sits on a dedicated file under
 * `<stateDir>/locks/`, never on the data, and is held across "read cache → renew or log in → write cache" so that
 * twenty parallel callers cause one renewal or one browser tab. proper-lockfile keeps the lock's mtime fresh while
 * the holder lives; a holder killed with -9 leaves a lock that turns stale after `staleMs` and is taken over.
 * Resolves with the function that releases it, or with undefined when `waitingIsOver` ended the wait.
 */
export function acquireSessionLock(stateDir: string, key: SessionKey, options: SessionLockOptions & {waitingIsOver: () => Promise<boolean>}): Promise<ReleaseLock | undefined>
export function acquireSessionLock(stateDir: string, key: SessionKey, options?: Omit<SessionLockOptions, 'waitingIsOver'>): Promise<ReleaseLock>
export async function acquireSessionLock(stateDir: string, key: SessionKey, options: SessionLockOptions = {}): Promise<ReleaseLock | undefined> {
  await ensurePrivateDirectory(join(stateDir, 'locks'))
  const target = lockPath(stateDir, key)
  const staleMs = options.staleMs ?? LOCK_STALE_MS
  const deadline = Date.now() + (options.waitTimeoutMs ?? 600_000)
  let told = false
  // Short pauses: a renewal takes a few hundred milliseconds, and with pauses growing to 250 ms a waiter could sleep
  // on for most of that after the holder was done. A look is one stat, so polling every 10-40 ms costs little.
  for (let pause = 10; ; pause = Math.min(pause * 2, 40)) {
    if (options.signal?.aborted) throw new AbortedError()
    // A lock its holder keeps fresh is busy: seen with a stat, without loading proper-lockfile (~10 ms of start-up,
    // which fifty processes waiting on one renewal would each pay).
    if (!heldByAnother(target, staleMs)) {
      if (told && (await options.waitingIsOver?.())) return undefined
      const release = await tryLock(target, staleMs)
      if (release) return release
    }
    if (!told) {
      told = true
      options.onWait?.()
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError('Gave up waiting for another pve-login process that is logging in or renewing the same session.', {
        hint: 'If no other pve-login is running, try again in 10 seconds: a lock left by a killed process expires by itself.',
      })
    }
    try {
      await delay(pause, undefined, {signal: options.signal})
    } catch {
      throw new AbortedError()
    }
  }
}

/** The lock, or undefined when another process holds it (or took it between our look and our attempt). */
async function tryLock(target: string, staleMs: number): Promise<ReleaseLock | undefined> {
  const {lock} = requirePackage<typeof import('proper-lockfile')>('proper-lockfile')
  try {
    const release = await lock(target, {
      realpath: false,
      stale: staleMs,
      retries: 0,
      // The default throws from a timer, killing the process; a compromised lock only weakens single-flight.
      onCompromised: () => {},
    })
    return async () => {
      await release().catch(() => {})
    }
  } catch (error) {
    // ENOENT: another waiter removed the lock directory between our mkdir and utimes while taking over a stale
    // lock (several do so at once when many processes wait); that is a busy lock too, not a failure.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ELOCKED' && code !== 'ENOENT') throw error
    return undefined
  }
}

/**
 * Whether proper-lockfile's lock directory (`<target>.lock`, its documented lockfilePath default) exists and its
 * holder refreshed it within staleMs. A stale or absent one is left to proper-lockfile to take.
 */
function heldByAnother(target: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(`${target}.lock`).mtimeMs < staleMs
  } catch {
    return false
  }
}

function lockPath(stateDir: string, key: SessionKey): string {
  return join(stateDir, 'locks', sessionSlotName(key.server, key.realm))
}

/**
 * The last renewal that did not work, kept next to the lock so that processes queued on the lock do not each try
 * again: with PVE failing (500s, or hanging until the request timeout), fifty waiting `env` calls would otherwise
 * make fifty attempts one after another. No secret in it: which ticket (by issue time), when, and PVE's words.
 */
export interface RenewalAttempt {
  /** issuedAt of the ticket that was to be renewed. */
  ticketIssuedAt: string
  username: string
  /** When the attempt started (outcome started) or ended, on this machine's clock (ISO 8601). */
  at: string
  /**
   * started: under way in process `pid` (a process that takes a stale lock over from a starved holder must not send
   * a second request); failed: PVE could not be asked (a 500, a timeout), the ticket may be renewed later;
   * refused: PVE said no (401).
   */
  outcome: 'started' | 'failed' | 'refused'
  message: string
  pid?: number
}

function attemptPath(stateDir: string, key: SessionKey): string {
  return `${lockPath(stateDir, key)}.renewal.json`
}

/** Call while holding the session lock. */
export async function recordRenewalAttempt(stateDir: string, key: SessionKey, attempt: RenewalAttempt): Promise<void> {
  // Best effort: without the record a waiter only tries once more.
  await writePrivateFileAtomic(attemptPath(stateDir, key), `${JSON.stringify(attempt)}\n`).catch(() => undefined)
}

/** The last failed renewal for this server and realm; undefined when none (or unreadable). */
export async function readRenewalAttempt(stateDir: string, key: SessionKey): Promise<RenewalAttempt | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(attemptPath(stateDir, key), 'utf8'))
  } catch {
    return undefined
  }
  const attempt = parsed as Partial<RenewalAttempt> | null
  if (
    typeof attempt?.ticketIssuedAt !== 'string' ||
    typeof attempt.username !== 'string' ||
    typeof attempt.at !== 'string' ||
    (attempt.outcome !== 'started' && attempt.outcome !== 'failed' && attempt.outcome !== 'refused') ||
    typeof attempt.message !== 'string'
  ) {
    return undefined
  }
  return attempt as RenewalAttempt
}

/** Whether the process that recorded a started attempt is still running (then its request may still be answered). */
export function attemptStillRunning(attempt: RenewalAttempt): boolean {
  if (attempt.outcome !== 'started' || attempt.pid === undefined) return false
  if (attempt.pid === process.pid) return false
  try {
    process.kill(attempt.pid, 0)
    return true
  } catch {
    // EPERM: it exists but belongs to someone else (a reused pid); either way not ours to wait for.
    return false
  }
}
