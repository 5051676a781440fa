/**
 * The file name of a session slot (one server and realm): its index entry and its lock are named by it. Server URLs
 * and realm names can be long and hold any character, so the name is a hash of them, 32 hex digits.
 *
 * FNV-1a (128-bit) and not SHA-256: loading node:crypto costs ~2 ms of a cached `env`'s ~35 ms (measured on a 2-core
 * Linux machine with Node 20; the ESM facade of node:crypto also builds WebCrypto), and these names need no secrecy
 * or collision resistance against an attacker: the entry inside names its server and realm and is checked against
 * them, and only this user can write the folder (src/store/state-folders.ts). FNV-1a as specified at
 * http://www.isthe.com/chongo/tech/comp/fnv/ (offset basis and prime for 128 bits).
 */
const FNV_128_OFFSET_BASIS = 0x6c62272e07bb014262b821756295c58dn
const FNV_128_PRIME = 0x0000000001000000000000000000013bn
const MASK_128 = (1n << 128n) - 1n

export function sessionSlotName(server: string, realm: string): string {
  let hash = FNV_128_OFFSET_BASIS
  for (const byte of Buffer.from(`${server}\n${realm}`, 'utf8')) hash = ((hash ^ BigInt(byte)) * FNV_128_PRIME) & MASK_128
  return hash.toString(16).padStart(32, '0')
}

/** The name builds before this one used (SHA-256, first 32 hex digits): read once to move an entry to its new name. */
export async function legacySessionSlotName(server: string, realm: string): Promise<string> {
  const {createHash} = await import('node:crypto')
  return createHash('sha256').update(`${server}\n${realm}`).digest('hex').slice(0, 32)
}
