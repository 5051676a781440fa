import type {Dispatcher} from 'undici'

import {AbortedError, TimeoutError, UnreachableError} from '../errors.js'
import {loadUndici, proxyConfigured} from '../pve/pve-dispatcher.js'

/**
 * Plain HTTP to the identity provider, the way a browser without cookies would see it: system CA trust (as PVE
 * itself uses), the proxy variables, every request bounded by the request timeout, redirects never followed, and
 * at most 512 KiB of any answer read.
 */
export interface IdpAnswer {
  status: number
  /** The Location header resolved against the request URL. */
  location?: string
  contentType: string
  body: string
}

const MAX_BODY_BYTES = 512 * 1024

export class IdpHttp {
  readonly #dispatcher: Dispatcher
  readonly #timeoutMs: number
  readonly #signal: AbortSignal | undefined

  constructor(options: {env: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal}) {
    const {Agent, EnvHttpProxyAgent} = loadUndici()
    const {env} = options
    this.#dispatcher = proxyConfigured(env)
      ? new EnvHttpProxyAgent({
          httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
          httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
          noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
        })
      : new Agent({connect: {timeout: Math.min(options.timeoutMs, 10_000)}})
    this.#timeoutMs = options.timeoutMs
    this.#signal = options.signal
  }

  get(url: string): Promise<IdpAnswer> {
    return this.#send(url, {method: 'GET', headers: {accept: 'text/html,application/json;q=0.9,*/*;q=0.8', 'user-agent': 'pve-login doctor'}})
  }

  getJson(url: string): Promise<IdpAnswer> {
    return this.#send(url, {method: 'GET', headers: {accept: 'application/json', 'user-agent': 'pve-login doctor'}})
  }

  postForm(url: string, form: URLSearchParams): Promise<IdpAnswer> {
    return this.#send(url, {
      method: 'POST',
      headers: {accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'pve-login doctor'},
      body: form.toString(),
    })
  }

  async close(): Promise<void> {
    await this.#dispatcher.destroy()
  }

  async #send(url: string, init: {method: string; headers: Record<string, string>; body?: string}): Promise<IdpAnswer> {
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout
    try {
      const response = await loadUndici().fetch(url, {...init, signal, dispatcher: this.#dispatcher, redirect: 'manual'})
      const location = response.headers.get('location')
      return {
        status: response.status,
        ...(location && URL.canParse(location, url) ? {location: new URL(location, url).href} : {}),
        contentType: response.headers.get('content-type') ?? '',
        body: await readCapped(response.body),
      }
    } catch (error) {
      if (this.#signal?.aborted) throw new AbortedError()
      const host = new URL(url).host
      if (timeout.aborted) throw new TimeoutError(`The identity provider at ${host} did not answer within ${Math.round(this.#timeoutMs / 1000)} s.`, {cause: error})
      const cause = (error as {cause?: {code?: string; message?: string}}).cause
      throw new UnreachableError(`Cannot reach the identity provider at ${host} from here (${cause?.code ?? cause?.message ?? (error as Error).message}).`, {cause: error})
    }
  }
}

async function readCapped(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < MAX_BODY_BYTES) {
      const {done, value} = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8')
}
