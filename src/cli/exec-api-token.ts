/**
 * `exec --api-token`: mint a token for the run, hand it to the command, and delete it when the command has ended,
 * whichever way it ended (exit, signal, Ctrl-C or SIGTERM to pve-login, which are passed on to the command and
 * waited for). Only a SIGKILL of pve-login, or a second signal, skips the deletion: the token then ends at its TTL,
 * and `api-tokens --prune` removes it.
 */
import {AbortedError} from '../errors.js'
import {formatTimestamp} from '../format/session-json.js'
import type {ApiToken, ApiTokenOptions} from '../session/api-token.js'
import type {Session} from '../session/session.js'
import type {CommandResult} from './command-result.js'
import type {CliIO} from './io.js'

export async function runWithApiToken(
  session: Session,
  options: ApiTokenOptions,
  run: (token: ApiToken) => Promise<CommandResult>,
  signal: AbortSignal,
  io: CliIO,
): Promise<CommandResult> {
  const token = await session.createApiToken({...options, comment: 'exec'})
  io.info(`pve-login: API token ${token.fullTokenId} for this run (valid until ${formatTimestamp(token.expiresAt)}); it is deleted when the command ends.`)
  try {
    // Ctrl-C while the token was being made: do not start the command at all.
    if (signal.aborted) throw new AbortedError()
    return await run(token)
  } finally {
    await revokeAndReport(token, io)
  }
}

async function revokeAndReport(token: ApiToken, io: CliIO): Promise<void> {
  try {
    await token.revoke()
    io.info(`pve-login: deleted API token ${token.fullTokenId}.`)
  } catch (error) {
    io.warn(
      `could not delete API token ${token.fullTokenId} at PVE (${(error as Error).message}); it stays valid until ${formatTimestamp(token.expiresAt)}. \`pve-login api-tokens --prune\` deletes it later.`,
    )
  }
}
