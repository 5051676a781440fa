import type {TLSSocket} from 'node:tls'
import type {buildConnector, Dispatcher} from 'undici'
import {requirePackage} from '../require-package.js'
import {tlsConnectOptions, verifyPeer, type TlsTrust} from './tls.js'

/**
 * undici, loaded on first use. It costs some 80 ms, and the library's entry point must stay cheap for scripts that
 * only read a cached ticket; a synchronous require (undici is CommonJS) keeps PveClient's constructor synchronous.
 */
export function loadUndici(): typeof import('undici') {
  // A request over node:https (src/pve/https-transport.ts) does without it.
  return requirePackage<typeof import('undici')>('undici')
}

/** Resolves a host name to the single address every connection of one PveClient goes to. */
export type HostLookup = (hostname: string) => Promise<string>

export interface PveDispatcherOptions {
  trust: TlsTrust
  /** Where HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read from. */
  env: NodeJS.ProcessEnv
  connectTimeoutMs: number
  /** The address each host name's connections go to (pinnedLookup(); PveClient shares one with its node:https requests). */
  addresses: HostLookup
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1', '[::1]']

/** True when the environment names a proxy; only then does the PVE traffic go through one. */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY)
}

/**
 * The undici dispatcher for everything sent to PVE, with two properties the login depends on:
 *
 * - Each host name is resolved once, and every connection goes to that address. PVE keeps a pending OpenID login in a
 *   file on the node that answered auth-url (/var/lib/pve-manager), so with a round-robin DNS name a second lookup for
 *   `login` could reach a node that never heard of it. The keep-alive connection alone would not be enough: the browser
 *   step takes longer than any idle timeout, so `login` usually needs a new connection.
 * - Certificates are checked after the handshake by verifyPeer() (pin, CA, or system trust), before any request is
 *   written, so a refused certificate still yields its fingerprint for the error.
 *
 * With a proxy configured the proxy resolves the name, so the first property cannot hold; docs/login.md says so.
 */
export function createPveDispatcher(options: PveDispatcherOptions): Dispatcher {
  const {Agent, EnvHttpProxyAgent, Pool, buildConnector} = loadUndici()
  const {trust, env} = options
  // No TLS session resumption: verifyPeer judges the certificate of the handshake that just happened, and a resumed
  // session need not carry one. A full handshake per connection costs a CLI nothing noticeable.
  const tls = {...tlsConnectOptions(trust), maxCachedSessions: 0, timeout: options.connectTimeoutMs}
  const connect = pinnedAddressConnector(buildConnector(tls), options.addresses)
  const factory = (origin: string | URL, poolOptions: object) => {
    const inner = (poolOptions as {connect?: unknown}).connect
    const base = typeof inner === 'function' ? (inner as buildConnector.connector) : connect
    // pipelining 1: PVE's server handles one request at a time per connection; never queue behind a slow login.
    return new Pool(origin, {...poolOptions, pipelining: 1, connect: verifyingConnector(base, trust)})
  }

  if (!proxyConfigured(env)) return new Agent({factory, connect})
  return new EnvHttpProxyAgent({
    factory,
    connect,
    requestTls: tls,
    // Empty strings, not undefined: undici would otherwise fall back to process.env behind the caller's back.
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
    noProxy: [env.no_proxy ?? env.NO_PROXY, ...LOOPBACK].filter(Boolean).join(','),
  })
}

/** The default HostLookup: the first address dns.lookup() gives. */
export async function lookupFirstAddress(hostname: string): Promise<string> {
  const {lookup} = await import('node:dns/promises')
  return (await lookup(hostname)).address
}

/**
 * Each host name resolved once, and that address kept for every later connection (see createPveDispatcher); an IP
 * address as it is. A failed lookup is not kept: the next request may try again (e.g. after the VPN came up).
 */
export function pinnedLookup(lookup: HostLookup = lookupFirstAddress): HostLookup {
  const addresses = new Map<string, Promise<string>>()
  return (hostname) => {
    if (isIP(hostname)) return Promise.resolve(hostname)
    let address = addresses.get(hostname)
    if (!address) {
      address = lookup(hostname)
      addresses.set(hostname, address)
      address.catch(() => addresses.delete(hostname))
    }
    return address
  }
}

function pinnedAddressConnector(base: buildConnector.connector, addresses: HostLookup): buildConnector.connector {
  return (options, callback) => {
    const {hostname} = options
    if (isIP(hostname)) {
      base(options, callback)
      return
    }
    // `host` keeps the original name, so SNI, certificate checks and the Host header still use it.
    addresses(hostname).then(
      (resolved) => base({...options, hostname: resolved}, callback),
      (error: Error) => callback(error, null),
    )
  }
}

function verifyingConnector(base: buildConnector.connector, trust: TlsTrust): buildConnector.connector {
  return (options, callback) => {
    base(options, (...args) => {
      const [error, socket] = args
      if (error) {
        callback(error, null)
        return
      }
      if (options.protocol !== 'https:') {
        callback(null, socket)
        return
      }
      const problem = verifyPeer(socket as TLSSocket, trust, options.host ?? options.hostname)
      if (problem) {
        socket.destroy()
        callback(problem, null)
        return
      }
      callback(null, socket)
    })
  }
}

/** node:net's isIP, loaded on the first connection: a Session built from the cache may never make one. */
export function isIP(host: string): number {
  return process.getBuiltinModule('node:net').isIP(host)
}
