import type {IncomingMessage, ServerResponse} from 'node:http'
import {createServer} from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'

import type {PveApi} from './pve-api.js'
import type {FaultKind, RequestLogEntry} from './request-log.js'
import {CONTROL_PREFIX, handleControlRequest} from './sandbox-control-api.js'
import type {SandboxControls} from './sandbox-controls.js'
import type {SandboxCertificate} from './tls-certificate.js'
import {listenOnLoopback} from './listen-loopback.js'

/**
 * The HTTPS listener standing in for pveproxy on 127.0.0.1: `/__sandbox/` goes to the controls, everything
 * else gets the configured latency and faults, then the PVE API, and lands in the request log.
 */
export interface PveServerOptions {
  /** 0 or undefined: a free random port. */
  port?: number
  certificate: SandboxCertificate
  api: PveApi
  controls: SandboxControls
}

export interface PveServer {
  port: number
  url: string
  close(): Promise<void>
}

const PROXY_502_PAGE = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

/** Answers (or doesn't) the way the chosen failure looks from a client. */
function applyFault(kind: FaultKind, request: IncomingMessage, response: ServerResponse, message = 'sandbox fault: internal server error'): void {
  switch (kind) {
    case '500': {
      const body = JSON.stringify({data: null, message: `${message}\n`})
      response.writeHead(500, 'Internal Server Error', {
        'content-type': 'application/json;charset=UTF-8',
        'content-length': Buffer.byteLength(body),
        server: 'pve-api-daemon/3.0',
        connection: 'close',
      })
      response.end(body)
      return
    }
    case '502':
      // A reverse proxy in front of PVE whose upstream is down: HTML, not PVE's JSON.
      response.writeHead(502, 'Bad Gateway', {'content-type': 'text/html', 'content-length': Buffer.byteLength(PROXY_502_PAGE), server: 'nginx'})
      response.end(PROXY_502_PAGE)
      return
    case 'reset':
      request.socket.destroy()
      return
    case 'hang':
      // Never answer; the socket is closed when the sandbox stops or the client gives up.
      return
    case 'huge': {
      // 1 GiB streamed as a JSON string (chunked, no length announced: the client learns the size only by reading),
      // a chunk whenever the client has taken the last one. Stops when the client goes away.
      const chunk = Buffer.alloc(1024 * 1024, 'a')
      let left = 1024
      response.writeHead(200, 'OK', {'content-type': 'application/json;charset=UTF-8', server: 'pve-api-daemon/3.0'})
      response.write('{"data":"')
      const pump = (): void => {
        while (left > 0 && !response.destroyed) {
          left -= 1
          if (!response.write(chunk)) return void response.once('drain', pump)
        }
        if (left === 0) response.end('"}')
      }
      pump()
      return
    }
    case 'huge-message': {
      // Just under the 1 MiB a client reads of a login answer, so that the message itself is what must be cut.
      const body = JSON.stringify({data: null, message: `sandbox fault: ${'x'.repeat(900 * 1024)}\n`})
      response.writeHead(500, 'Internal Server Error', {'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body), server: 'pve-api-daemon/3.0'})
      response.end(body)
      return
    }
  }
}


export async function startPveServer(options: PveServerOptions): Promise<PveServer> {
  const {api, controls} = options

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1')
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      await handleControlRequest(controls, request, response, url)
      return
    }
    const started = Date.now()
    const entry: RequestLogEntry = {method: request.method ?? 'GET', path: url.pathname, status: null, time: new Date(started).toISOString(), durationMs: 0}
    if (request.headers.csrfpreventiontoken !== undefined) entry.csrfHeader = true
    const taken = controls.takeFault(url.pathname)
    const fault = taken?.kind
    if (fault) entry.fault = fault
    // PVE's Date header comes from the node's clock; the sandbox clock (and its own offset) stands in for it.
    response.setHeader('date', controls.dateHeader())
    let logged = false
    const log = (): void => {
      if (logged) return
      logged = true
      entry.status = response.headersSent ? response.statusCode : null
      entry.durationMs = Date.now() - started
      controls.requestLog.record(entry)
    }
    response.once('finish', log)
    response.once('close', log)
    // A hang is logged at once: the test wants to see it arrived, and it will never finish.
    if (fault === 'hang') log()

    const latency = controls.getLatencyMs()
    if (latency > 0) await sleep(latency)
    if (fault) applyFault(fault, request, response, taken?.message)
    else await api.handle(request, response, url)
  }

  const server = createServer({key: options.certificate.keyPem, cert: options.certificate.certPem}, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      process.stderr.write(`sandbox PVE: unexpected error: ${(error as Error).stack ?? String(error)}\n`)
      if (!response.headersSent) response.writeHead(500, 'sandbox bug')
      response.end()
    })
  })
  const port = await listenOnLoopback(server, options.port ?? 0)
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
