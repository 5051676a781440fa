import {withApiHint} from './api-error-hint.js'
import {parseApiRequest} from './api-request.js'
import type {CommandResult} from './command-result.js'
import type {CliIO} from './io.js'
import {getCommandSession, type ScriptSessionFlags} from './script-session.js'

export interface ApiFlags extends ScriptSessionFlags {
  method?: string
  field?: string[]
  raw?: boolean
}

/** `pve-login api PATH`: one call with the cached (or renewed) session; PVE's data as JSON. The oclif command and the fast path run this. */
export async function apiResult(path: string, flags: ApiFlags, signal: AbortSignal, io: CliIO): Promise<CommandResult> {
  const request = parseApiRequest(path, flags.method, flags.field ?? [])
  const session = await getCommandSession(flags, signal, io)
  try {
    const data = await session.request(request.method, request.path, request.params, {signal}).catch((error: unknown) => {
      throw withApiHint(error, request)
    })
    return {text: `${JSON.stringify(data ?? null, null, flags.raw ? undefined : 2)}\n`}
  } finally {
    await session.close().catch(() => {})
  }
}
