import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'
import type {ConnectionOptions, TLSSocket} from 'node:tls'
import {InvalidInputError, TlsVerificationError} from '../errors.js'

/**
 * How to trust the PVE server's certificate. PVE installs with a self-signed certificate, so the default (system trust
 * plus NODE_EXTRA_CA_CERTS, which Node applies by itself) fails on most fresh clusters; the other modes are the ways out.
 */
export interface TlsOptions {
  /** SHA-256 of the server certificate: `AA:BB:…`, `aabb…` or `sha256:…`. CA and host name are not checked then. */
  fingerprint?: string
  /** PEM file with the CA to trust instead of the system roots (e.g. a copy of the node's /etc/pve/pve-root-ca.pem). */
  caFile?: string
  /** The same as caFile, as PEM text. */
  ca?: string
  /** Accept any certificate. Only as a last resort; the caller should warn every time. */
  insecure?: boolean
}

/** TlsOptions checked and read once: what every connection applies. */
export type TlsTrust =
  | {mode: 'system'}
  | {mode: 'ca'; ca: string}
  | {mode: 'pin'; fingerprint: string}
  | {mode: 'insecure'}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----'

/** `sha256:aa:bb…`, `AABB…`, `SHA256 Fingerprint=AA:BB…` (openssl's output) → `AA:BB:…`, the form Node and PVE print. */
export function normalizeFingerprint(input: string): string {
  const hex = input
    .trim()
    .replace(/^sha-?256(?:\s+fingerprint)?\s*[:=]?\s*/i, '')
    .replace(/[\s:]/g, '')
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new InvalidInputError('The certificate fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons optional.', {
      hint: 'On the PVE node, `pvenode cert info` prints it for each certificate (the "fingerprint" line).',
    })
  }
  return hex.toUpperCase().match(/../g)!.join(':')
}

/** Checks the options and reads the CA file. Throws InvalidInputError for contradictions and unreadable files. */
export function resolveTlsTrust(options: TlsOptions = {}): TlsTrust {
  if (options.fingerprint !== undefined && options.insecure) {
    throw new InvalidInputError('A certificate fingerprint and "insecure" contradict each other.', {
      hint: 'Keep the fingerprint: it accepts exactly one certificate, while insecure accepts any.',
    })
  }
  if (options.fingerprint !== undefined) return {mode: 'pin', fingerprint: normalizeFingerprint(options.fingerprint)}
  if (options.insecure) return {mode: 'insecure'}
  if (options.caFile !== undefined && options.ca !== undefined) {
    throw new InvalidInputError('Give the CA either as a file or as PEM text, not both.')
  }
  if (options.caFile !== undefined) return {mode: 'ca', ca: checkPem(readCaFile(options.caFile), options.caFile)}
  if (options.ca !== undefined) return {mode: 'ca', ca: checkPem(options.ca, 'the CA text')}
  return {mode: 'system'}
}

/** A CA bundle is a few KiB (the system's whole bundle about 200 KiB); more is not a CA file. */
const MAX_CA_FILE_BYTES = 1024 * 1024

/**
 * Reads a CA file: a regular file (a symlink to one is fine) of at most MAX_CA_FILE_BYTES. A FIFO would block for
 * ever and /dev/zero would fill the memory, so both are refused before a byte is read (O_NONBLOCK, then fstat).
 */
function readCaFile(path: string): string {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    throw new InvalidInputError(`Cannot read the CA file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {cause: error})
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) {
      throw new InvalidInputError(`The CA file ${path} is not a regular file (${stats.isDirectory() ? 'a folder' : stats.isFIFO() ? 'a pipe' : 'a device or socket'}).`, {
        hint: 'Give the path of a PEM file, e.g. a copy of /etc/pve/pve-root-ca.pem from a PVE node.',
      })
    }
    const tooLarge = () => new InvalidInputError(`The CA file ${path} is larger than ${MAX_CA_FILE_BYTES / 1024} KiB; a CA certificate is a few KiB.`, {hint: 'Give the PEM file of the cluster CA, e.g. a copy of /etc/pve/pve-root-ca.pem.'})
    if (stats.size > MAX_CA_FILE_BYTES) throw tooLarge()
    const buffer = Buffer.alloc(MAX_CA_FILE_BYTES + 1)
    let length = 0
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
      if (length > MAX_CA_FILE_BYTES) throw tooLarge()
    }
    return buffer.subarray(0, length).toString('utf8')
  } catch (error) {
    if (error instanceof InvalidInputError) throw error
    throw new InvalidInputError(`Cannot read the CA file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {cause: error})
  } finally {
    closeSync(fd)
  }
}

function checkPem(pem: string, source: string): string {
  if (!pem.includes(PEM_CERTIFICATE)) {
    throw new InvalidInputError(`${source} holds no PEM certificate (no "${PEM_CERTIFICATE}" line).`, {
      hint: 'Use the PEM file of the CA, e.g. a copy of /etc/pve/pve-root-ca.pem from a PVE node.',
    })
  }
  return pem
}

/**
 * Options for tls.connect. Certificates are never rejected inside the handshake: verifyPeer() decides afterwards, on a
 * socket that has not carried a byte of HTTP yet. That way a failure still has the certificate at hand, so the error can
 * show its fingerprint without a second connection.
 */
export function tlsConnectOptions(trust: TlsTrust): ConnectionOptions {
  if (trust.mode === 'ca') return {rejectUnauthorized: false, ca: trust.ca}
  // A pin judges the certificate by its fingerprint alone, and insecure not at all, so no CA takes part: an empty
  // list spares building Node's store of some 140 root certificates, about 20 ms of a cached `pve-login api`
  // (measured on 2 cores with Node 20).
  if (trust.mode === 'pin' || trust.mode === 'insecure') return {rejectUnauthorized: false, ca: []}
  return {rejectUnauthorized: false}
}

/** The verdict on a freshly connected socket: undefined when it may be used, else the error to fail with. */
export function verifyPeer(socket: TLSSocket, trust: TlsTrust, server: string): TlsVerificationError | undefined {
  if (trust.mode === 'insecure') return undefined
  const fingerprint = socket.getPeerCertificate()?.fingerprint256 || undefined
  if (trust.mode === 'pin') {
    if (fingerprint === trust.fingerprint) return undefined
    return certificateChangedError(server, fingerprint)
  }
  if (socket.authorized) return undefined
  return untrustedCertificateError(server, String(socket.authorizationError ?? 'unknown reason'), fingerprint)
}

/** Node's verification codes for "the chain does not lead to a CA we trust", i.e. PVE's self-signed default. */
const UNTRUSTED_CHAIN = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
])

/** Every verification code Node reports for a certificate it refused (as opposed to a broken connection). */
export function isCertificateErrorCode(code: string | undefined): boolean {
  return code !== undefined && (UNTRUSTED_CHAIN.has(code) || code.startsWith('CERT_') || code === 'ERR_TLS_CERT_ALTNAME_INVALID')
}

function describeRefusal(code: string): string {
  if (UNTRUSTED_CHAIN.has(code)) return 'is not signed by a CA this computer trusts (PVE uses a self-signed certificate unless one was installed)'
  if (code === 'CERT_HAS_EXPIRED') return 'has expired'
  if (code === 'CERT_NOT_YET_VALID') return 'is not valid yet (check this computer\'s clock)'
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'was issued for a different host name'
  return `was refused (${code})`
}

export function untrustedCertificateError(server: string, code: string, fingerprint: string | undefined): TlsVerificationError {
  return new TlsVerificationError(`The TLS certificate of ${server} ${describeRefusal(code)}.`, fingerprint, {
    advice: {kind: 'trust-certificate', fingerprint},
  })
}

export function certificateChangedError(server: string, fingerprint: string | undefined): TlsVerificationError {
  return new TlsVerificationError(`The TLS certificate of ${server} changed: it does not match the pinned fingerprint.`, fingerprint, {
    advice: {kind: 'certificate-changed', fingerprint},
  })
}

/**
 * Reads the SHA-256 fingerprint of the certificate a server presents, accepting any certificate and sending nothing.
 * For the one case where the failing connection could not show it (a dispatcher that rejected inside the handshake).
 */
export async function probeFingerprint(
  target: {host: string; port: number; servername?: string},
  timeoutMs = 5000,
): Promise<string | undefined> {
  // node:tls loads here: this module is imported with the package, and most runs never probe.
  const {connect: tlsConnect} = await import('node:tls')
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: target.host,
      port: target.port,
      ...(target.servername ? {servername: target.servername} : {}),
      rejectUnauthorized: false,
    })
    const done = (fingerprint: string | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(fingerprint)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.once('secureConnect', () => done(socket.getPeerCertificate()?.fingerprint256 || undefined))
    socket.once('error', () => done(undefined))
  })
}
