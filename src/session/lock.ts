import {createHash} from 'node:crypto'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {AbortedError, TimeoutError} from '../errors.js'
import {ensurePrivateDirectory} from '../store/private-file.js'
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
}

export type ReleaseLock = () => Promise<void>

/**
 * One renewal or login at a time per server and realm, across processes. The lock sits on a dedicated file under
 * `<stateDir>/locks/`, never on the data, and is held across "read cache → renew or log in → write cache" so that
 * twenty parallel callers cause one renewal or one browser tab. proper-lockfile keeps the lock's mtime fresh while
 * the holder lives; a holder killed with -9 leaves a lock that turns stale after `staleMs` and is taken over.
 */
export async function acquireSessionLock(stateDir: string, key: SessionKey, options: SessionLockOptions = {}): Promise<ReleaseLock> {
  const {lock} = await import('proper-lockfile')
  const directory = join(stateDir, 'locks')
  await ensurePrivateDirectory(directory)
  const target = join(directory, createHash('sha256').update(`${key.server}\n${key.realm}`).digest('hex').slice(0, 32))
  const deadline = Date.now() + (options.waitTimeoutMs ?? 600_000)
  let told = false
  for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
    if (options.signal?.aborted) throw new AbortedError()
    try {
      const release = await lock(target, {
        realpath: false,
        stale: options.staleMs ?? LOCK_STALE_MS,
        retries: 0,
        // The default throws from a timer, killing the process; a compromised lock only weakens single-flight.
        onCompromised: () => {},
      })
      return async () => {
        await release().catch(() => {})
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
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
