import {createHmac, generateKeyPair, randomBytes, sign, timingSafeEqual, verify, type KeyObject} from 'node:crypto'
import {promisify} from 'node:util'

import type {SandboxClock} from './sandbox-clock.js'
import {uriUnescape} from './uri-unescape.js'

/**
 * PVE's authentication tickets and CSRF prevention tokens (pve-common Ticket.pm, pve-access-control
 * AccessControl.pm): an RSA-signed `PVE:<userid>:<8 upper-hex epoch>::<base64 signature>` ticket and an HMAC
 * token bound to the user name. Both are valid while -300 s < age < 7200 s on the sandbox clock.
 */
export const TICKET_LIFETIME_SECONDS = 7200
export const AUTH_GRACE_SECONDS = 300

const SIGNED_TICKET = /^(PVE:\S+)::([^:\s]+)$/
const TICKET_PLAIN = /^PVE:(?:(\S+):)?([A-Z0-9]{8})$/
const CSRF_TOKEN = /^([A-Z0-9]{8}):(\S+)$/

function epochHex(seconds: number): string {
  return seconds.toString(16).toUpperCase().padStart(8, '0')
}

export class TicketAuthority {
  private constructor(
    private readonly clock: SandboxClock,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly csrfSecret: Buffer,
  ) {}

  /** A fresh authkey (RSA-2048, as rotate_authkey makes) and CSRF secret, like a newly installed node. */
  static async create(clock: SandboxClock): Promise<TicketAuthority> {
    const {privateKey, publicKey} = await promisify(generateKeyPair)('rsa', {modulusLength: 2048})
    return new TicketAuthority(clock, privateKey, publicKey, randomBytes(32))
  }

  private isFresh(issuedAt: number): boolean {
    const age = this.clock.nowSeconds() - issuedAt
    return age > -AUTH_GRACE_SECONDS && age < TICKET_LIFETIME_SECONDS
  }

  assembleTicket(userid: string): string {
    // uri_escape($userid, ':'): only colons are escaped.
    const plain = `PVE:${userid.replace(/:/g, '%3A')}:${epochHex(this.clock.nowSeconds())}`
    const signature = sign('sha256', Buffer.from(plain), this.privateKey).toString('base64')
    return `${plain}::${signature}`
  }

  /** The ticket's user when the signature checks out and the ticket is neither too old nor from the future. */
  verifyTicket(ticket: string): string | undefined {
    const signed = SIGNED_TICKET.exec(ticket)
    if (!signed) return undefined
    const [, plain = '', signature = ''] = signed
    const parts = TICKET_PLAIN.exec(plain)
    if (!parts?.[1]) return undefined
    if (!verify('sha256', Buffer.from(plain), this.publicKey, Buffer.from(signature, 'base64'))) return undefined
    if (!this.isFresh(Number.parseInt(parts[2] ?? '', 16))) return undefined
    return uriUnescape(parts[1])
  }

  private csrfDigest(timestamp: string, userid: string): string {
    // hmac_sha256_base64 from Digest::SHA: base64 without padding, 43 characters.
    return createHmac('sha256', this.csrfSecret).update(`${timestamp}:${userid}`).digest('base64').replace(/=+$/, '')
  }

  assembleCsrfToken(userid: string): string {
    const timestamp = epochHex(this.clock.nowSeconds())
    return `${timestamp}:${this.csrfDigest(timestamp, userid)}`
  }

  verifyCsrfToken(userid: string, token: string): boolean {
    const parts = CSRF_TOKEN.exec(token)
    if (!parts) return false
    const [, timestamp = '', digest = ''] = parts
    const expected = Buffer.from(this.csrfDigest(timestamp, userid))
    const given = Buffer.from(digest)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false
    return this.isFresh(Number.parseInt(timestamp, 16))
  }
}
