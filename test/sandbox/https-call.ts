import {request} from 'node:https'

/**
 * One HTTPS request that trusts exactly the given CA (the sandbox's self-signed certificate) and returns
 * everything a test may want to look at, the reason phrase included. node:https rather than fetch: fetch hides
 * nothing here, but needs a dispatcher to trust a CA and does not give the raw status line.
 */
export interface HttpsCallOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  ca: string | Buffer
  timeoutMs?: number
}

export interface HttpsCallResult {
  status: number
  statusMessage: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

export function httpsCall(url: string | URL, options: HttpsCallOptions): Promise<HttpsCallResult> {
  return new Promise((resolve, reject) => {
    const headers = {...options.headers}
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body))
    const call = request(url, {method: options.method ?? 'GET', headers, ca: options.ca, agent: false}, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          statusMessage: response.statusMessage ?? '',
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
    })
    call.on('error', reject)
    if (options.timeoutMs !== undefined) {
      call.setTimeout(options.timeoutMs, () => call.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
    }
    call.end(options.body)
  })
}
