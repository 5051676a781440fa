import {InvalidInputError} from '../errors.js'

/** pveproxy's port. Only a bare host (or host:port) gets it: a full URL means the user spelled out what they want. */
export const PVE_DEFAULT_PORT = 8006

const HINT = 'Give the PVE host as `pve.example.com`, `pve.example.com:8006` or `https://pve.example.com:8006`.'
// A DNS name or IPv4 address; IPv6 literals are checked by the URL parser.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?)*\.?$/i
// What the web UI's address bar shows (`/#v1:0:…`) or what an API endpoint variable holds: both name the server.
const ACCEPTED_PATHS = new Set(['', '/', '/api2/json', '/api2/json/'])

/**
 * Turns what a person types into the origin of a PVE API: `pve` → `https://pve:8006`,
 * `10.0.0.5:8443` → `https://10.0.0.5:8443`, `https://pve.example.com` → `https://pve.example.com` (port 443).
 * Anything else (http://, paths, credentials, garbage) is an InvalidInputError: PVE only speaks HTTPS, and a silently
 * "fixed" address would send the login to the wrong place.
 */
export function normalizeServer(input: string): string {
  const text = input.trim()
  if (text === '') throw new InvalidInputError('No PVE server given.', {hint: HINT})

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)
  if (scheme) {
    if (scheme[1]!.toLowerCase() !== 'https') {
      throw new InvalidInputError(`PVE server ${quote(text)} does not use https://.`, {
        hint: `PVE serves its API only over HTTPS (port ${PVE_DEFAULT_PORT} unless a proxy is in front). ${HINT}`,
      })
    }
    return originOf(text, text)
  }

  // A bare IPv6 address has several colons and no brackets; wrap it so the URL parser sees a host, not host:port.
  const bare = isIPv6(text) ? `[${text}]` : text
  if (/[/?#@\\\s]/.test(bare)) throw invalid(text)
  const hasPort = /:\d+$/.test(bare)
  return originOf(`https://${bare}${hasPort ? '' : `:${PVE_DEFAULT_PORT}`}`, text)
}

/** The port of a URL, spelled out even when it is the scheme's default (which URL leaves empty). */
export function portOf(url: URL): string {
  return url.port || (url.protocol === 'http:' ? '80' : '443')
}

function originOf(candidate: string, original: string): string {
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    throw invalid(original)
  }
  if (url.username || url.password) {
    // Never repeat the input here: it holds a password.
    throw new InvalidInputError('The PVE server address contains a user name or password.', {hint: `Remove the user:password@ part. ${HINT}`})
  }
  if (!ACCEPTED_PATHS.has(url.pathname)) {
    throw new InvalidInputError(`PVE server ${quote(original)} has a path (${url.pathname}); PVE's API lives at the root.`, {hint: HINT})
  }
  const host = url.hostname
  // The URL parser refuses a bracketed host that is not an IPv6 address.
  const valid = host.startsWith('[') || HOSTNAME.test(host)
  if (!valid) throw invalid(original)
  return url.origin
}

/**
 * An IPv6 address as the URL parser reads one between brackets. node:net's isIPv6 would load the networking stack,
 * some 3 ms of every cached `pve-login env` (measured on 2 cores with Node 20); zone IDs, which it also accepts,
 * cannot stand in a URL anyway.
 */
function isIPv6(text: string): boolean {
  return text.includes(':') && URL.canParse(`https://[${text}]/`)
}

function invalid(original: string): InvalidInputError {
  return new InvalidInputError(`${quote(original)} is not a PVE server address.`, {hint: HINT})
}

function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)
}
