/**
 * What `pve-login ticket` writes: the bare ticket, its JSON, a curl config (`curl -K`) or a cookie jar (`curl -b`,
 * `wget --load-cookies`), to stdout or to a file only its owner can read. Never into an argument: `ps` shows those.
 */
import {renderCookieJar, renderCurlConfig} from '../format/curl.js'
import {renderJson, ticketJson} from '../format/session-json.js'
import type {SessionRecord} from '../session/session-record.js'

export const TICKET_FORMATS = ['curl', 'cookie-jar'] as const
export type TicketFormat = (typeof TICKET_FORMATS)[number]

export interface TicketOutputFlags {
  json?: boolean
  format?: TicketFormat
  output?: string
}

export function ticketText(record: SessionRecord, flags: TicketOutputFlags): string {
  if (flags.format === 'curl') return renderCurlConfig(record)
  if (flags.format === 'cookie-jar') return renderCookieJar(record)
  return flags.json ? renderJson(ticketJson(record)) : `${record.ticket}\n`
}

/**
 * `--output FILE`: mode 0600 from the first byte, replaced atomically, so a reader (curl -K in a loop) never sees
 * half a config and other users never see the ticket.
 */
export async function writeTicketFile(path: string, text: string): Promise<void> {
  const {writePrivateFileAtomic} = await import('../store/private-file.js')
  await writePrivateFileAtomic(path, text)
}
