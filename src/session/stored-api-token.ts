/**
 * An API token kept in the store with its session, like the ticket (`env --api-token`): reused while it has
 * minValidSeconds left, replaced by a new one otherwise (the old one is deleted at PVE), deleted by logout.
 * Answering from the store needs no ticket and no HTTP stack, so the token keeps serving after the ticket expired.
 */
import {InvalidInputError} from '../errors.js'
import {findSession} from '../store/ticket-store.js'
import type {ApiTokenAcl, ApiToken} from './api-token.js'
import {getSession} from './get-session.js'
import {acquireSessionLock} from './lock.js'
import {DEFAULT_MIN_VALID_SECONDS, RENEW_BEFORE_SECONDS} from './renewal-policy.js'
import type {SessionOptions, SessionSource} from './session-options.js'
import type {SessionKey, SessionRecord, StoredApiToken} from './session-record.js'
import {openSettingsStore, systemClock} from './session-services.js'
import {resolveSettings} from './settings.js'

export interface StoredApiTokenOptions extends SessionOptions {
  /** Lifetime of a newly minted token (default 8 h, at most 7 days). minValidSeconds applies to the token here. */
  ttlSeconds?: number
  privsep?: boolean
  acl?: readonly ApiTokenAcl[]
}

export interface ObtainedApiToken {
  record: SessionRecord
  token: StoredApiToken
  /** The token: from the store, or made now. */
  source: 'cache' | 'created'
  /** The ticket it was made with, when it was made now: cached, renewed, or a browser login. */
  sessionSource: SessionSource
}

function toStored(token: ApiToken): StoredApiToken {
  return {fullTokenId: token.fullTokenId, tokenId: token.tokenId, secret: token.secret, expiresAt: token.expiresAt.toISOString(), privsep: token.privsep}
}

export async function obtainStoredApiToken(options: StoredApiTokenOptions = {}): Promise<ObtainedApiToken> {
  const settings = await resolveSettings(options)
  const now = options.now ?? systemClock
  const minValid = options.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS
  const privsep = options.privsep === true
  const store = openSettingsStore(settings, options)
  if (store.kind === 'none') {
    throw new InvalidInputError('A stored API token needs a ticket store that keeps it, and the store is "none".', {advice: {kind: 'api-token-needs-store'}})
  }
  const key: SessionKey = {server: settings.server, realm: settings.realm}
  const usable = (token: StoredApiToken | undefined): token is StoredApiToken =>
    token !== undefined && token.privsep === privsep && (Date.parse(token.expiresAt) - now().getTime()) / 1000 >= minValid

  const cached = findSession(await store.find(key), key)
  if (cached && usable(cached.apiToken)) return {record: cached, token: cached.apiToken, source: 'cache', sessionSource: 'cache'}

  // Minting needs the ticket: long enough that the session's own pre-request renewal (which takes the lock held
  // below) cannot be due while the token is made.
  const session = await getSession({...options, minValidSeconds: RENEW_BEFORE_SECONDS + 120})
  try {
    const minted = await session.createApiToken({
      ...(options.ttlSeconds === undefined ? {} : {ttlSeconds: options.ttlSeconds}),
      privsep,
      ...(options.acl ? {acl: options.acl} : {}),
      comment: 'env',
    })
    const release = await acquireSessionLock(settings.paths.stateDir, key, {signal: options.signal})
    let result: ObtainedApiToken
    try {
      const latest = findSession(await store.find(key), key)
      if (latest && latest.username === session.username && usable(latest.apiToken) && latest.apiToken.fullTokenId !== cached?.apiToken?.fullTokenId) {
        // Another pve-login stored a new token while we made ours: use that one, take ours back.
        await minted.revoke().catch(() => undefined)
        return {record: latest, token: latest.apiToken, source: 'cache', sessionSource: session.source}
      }
      const base = latest && latest.username === session.username ? latest : session.record
      const record: SessionRecord = {...base, apiToken: toStored(minted)}
      await store.save(record)
      result = {record, token: record.apiToken!, source: 'created', sessionSource: session.source}
    } finally {
      await release()
    }
    // The one it replaces would otherwise live on until its expiry; if PVE cannot be told now, it still ends then.
    const replaced = cached?.apiToken
    if (replaced && replaced.fullTokenId !== result.token.fullTokenId && cached?.username === session.username) {
      await session.deleteApiToken(replaced.tokenId).catch((error: unknown) => {
        options.logger?.warn(`Could not delete the replaced API token ${replaced.fullTokenId} at PVE (${(error as Error).message}); it expires at ${replaced.expiresAt}.`)
      })
    }
    return result
  } finally {
    await session.close()
  }
}
