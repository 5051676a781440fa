/**
 * What the CLI says about API tokens: logout's line per stored token, and the rows of `api-tokens` with the state
 * of each (live, expired, or its run gone), which is what --prune acts on.
 */
import {hostname} from 'node:os'

import type {ApiTokenRow} from '../format/api-token-table.js'
import {formatTimestamp} from '../format/session-json.js'
import type {ListedApiToken} from '../session/api-token.js'
import type {ApiTokenRevocation} from '../session/logout.js'

export function apiTokenRevocationLine(outcome: ApiTokenRevocation): string {
  const until = formatTimestamp(outcome.expiresAt)
  switch (outcome.result) {
    case 'deleted':
      return `Deleted API token ${outcome.fullTokenId} at ${outcome.server}: every tool it was handed to has lost access.`
    case 'already-gone':
      return `API token ${outcome.fullTokenId} was already gone at ${outcome.server}.`
    case 'expired':
      return `API token ${outcome.fullTokenId} expired at ${until}; forgotten.`
    case 'kept':
      return `pve-login: warning: could not delete API token ${outcome.fullTokenId} at ${outcome.server} (${outcome.error?.message ?? 'unknown error'}); forgotten here, but it stays valid until ${until}. Log in again and run \`pve-login api-tokens --prune\` to delete it sooner.`
  }
}

export interface ClassifyContext {
  now: Date
  /** This machine's name, as written into the comment. Default os.hostname(). */
  host?: string
  /** Token ids kept in the store for env --api-token (still handed out). */
  storedTokenIds: ReadonlySet<string>
  isRunning(pid: number): boolean
}

export function apiTokenRows(tokens: readonly ListedApiToken[], context: ClassifyContext): ApiTokenRow[] {
  const host = context.host ?? hostname()
  return tokens
    .filter((token): token is ListedApiToken & {marker: NonNullable<ListedApiToken['marker']>} => token.marker !== undefined)
    .map((token) => {
      const secondsLeft = token.expiresAt ? Math.floor((token.expiresAt.getTime() - context.now.getTime()) / 1000) : null
      const madeBy = token.marker.note ?? null
      const here = token.marker.host === host
      const gone =
        here && ((madeBy === 'exec' && !context.isRunning(token.marker.pid)) || (madeBy === 'env' && !context.storedTokenIds.has(token.tokenId)))
      return {
        tokenId: token.tokenId,
        fullTokenId: token.fullTokenId,
        expiresAt: token.expiresAt ? formatTimestamp(token.expiresAt) : null,
        secondsLeft,
        privsep: token.privsep,
        host: token.marker.host,
        pid: token.marker.pid,
        createdAt: formatTimestamp(token.marker.createdAt),
        madeBy,
        state: secondsLeft !== null && secondsLeft <= 0 ? 'expired' : gone ? 'gone' : 'live',
      }
    })
}

/** Whether a process with this id exists here (signal 0 tests without sending anything). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
