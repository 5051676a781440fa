import {execFile} from 'node:child_process'
import {X509Certificate} from 'node:crypto'
import {writeFileSync, mkdtempSync} from 'node:fs'
import {createServer as createHttpServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer, type Server} from 'node:https'
import {connect as netConnect, type AddressInfo, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {generate} from 'selfsigned'
import {
  AbortedError,
  AuthenticationFailedError,
  PveApiError,
  TimeoutError,
  TlsVerificationError,
  UnreachableError,
} from '../src/errors.js'
import {PveClient, type PveClientOptions} from '../src/pve/pve-client.js'
import {failure} from './helpers/failure.js'

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void

interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

const routes = new Map<string, Handler>()
const received: Received[] = []
let server: Server
let port: number
let cert: string
let fingerprint: string
let caFile: string

function json(response: ServerResponse, status: number, body: unknown, reason?: string): void {
  const text = JSON.stringify(body)
  response.writeHead(status, reason ?? '', {'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text)})
  response.end(text)
}

function route(path: string, handler: Handler): void {
  routes.set(path, handler)
}

beforeAll(async () => {
  const pems = await generate([{name: 'commonName', value: 'pve.test'}], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {name: 'basicConstraints', cA: true},
      {name: 'subjectAltName', altNames: [{type: 2, value: 'pve.test'}, {type: 7, ip: '127.0.0.1'}]},
    ],
  })
  cert = pems.cert
  fingerprint = new X509Certificate(cert).fingerprint256
  const dir = mkdtempSync(join(tmpdir(), 'pve-client-test-'))
  caFile = join(dir, 'ca.pem')
  writeFileSync(caFile, cert)

  server = createHttpsServer({key: pems.private, cert}, (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      received.push({method: request.method ?? '', url: request.url ?? '', headers: request.headers, body})
      const path = new URL(request.url ?? '/', 'https://x').pathname
      const handler = routes.get(path)
      if (handler) handler(request, body, response)
      else json(response, 501, {data: null, message: `Method '${request.method} ${path}' not implemented`})
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function withClient<T>(options: Partial<PveClientOptions>, use: (client: PveClient) => Promise<T>): Promise<T> {
  const client = new PveClient({server: `https://127.0.0.1:${port}`, tls: {fingerprint}, env: {}, ...options})
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}

describe('PveClient requests', () => {
  test('unwraps data and sends form bodies, query strings, cookie and CSRF header', async () => {
    route('/api2/json/nodes', (_request, _body, response) => json(response, 200, {data: [{node: 'pve1'}]}))
    received.length = 0
    await withClient({}, async (client) => {
      await expect(client.request('GET', '/nodes', {params: {type: 'vm', full: true, skip: undefined}, ticket: 'PVE:a@b:1::x+/='})).resolves.toEqual([
        {node: 'pve1'},
      ])
      await client.request('POST', '/nodes', {params: {name: 'x y', list: ['a', 'b'], flag: false}, ticket: 'T', csrfToken: 'C:D'})
      // Method case and a missing leading slash are forgiven.
      await client.request('get', 'nodes')
    })
    expect(received[0]).toMatchObject({method: 'GET', url: '/api2/json/nodes?type=vm&full=1', body: ''})
    expect(received[0]!.headers.cookie).toBe('PVEAuthCookie=PVE:a@b:1::x+/=')
    expect(received[0]!.headers.csrfpreventiontoken).toBeUndefined()
    expect(received[1]).toMatchObject({method: 'POST', url: '/api2/json/nodes', body: 'name=x+y&list=a&list=b&flag=0'})
    expect(received[1]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(received[1]!.headers.csrfpreventiontoken).toBe('C:D')
    expect(received[2]).toMatchObject({method: 'GET', url: '/api2/json/nodes', body: ''})
  })

  test('domains() lists realms; authUrl() posts realm and redirect-url', async () => {
    route('/api2/json/access/domains', (_request, _body, response) =>
      json(response, 200, {data: [{realm: 'pam', type: 'pam', comment: 'Linux PAM'}, {realm: 'cli', type: 'openid', default: 1}]}),
    )
    route('/api2/json/access/openid/auth-url', (_request, _body, response) => json(response, 200, {data: 'https://idp.test/auth?state=x'}))
    received.length = 0
    await withClient({}, async (client) => {
      await expect(client.domains()).resolves.toEqual([
        {realm: 'pam', type: 'pam', comment: 'Linux PAM'},
        {realm: 'cli', type: 'openid', default: true},
      ])
      await expect(client.authUrl('cli', 'http://127.0.0.1:5000/callback')).resolves.toBe('https://idp.test/auth?state=x')
    })
    expect(new URLSearchParams(received[1]!.body)).toEqual(new URLSearchParams({realm: 'cli', 'redirect-url': 'http://127.0.0.1:5000/callback'}))
  })

  test('completeLogin() and renewTicket() return PVE ticket responses', async () => {
    const answer = {username: 'alice@cli', ticket: 'PVE:alice@cli:6650A1B2::sig', CSRFPreventionToken: '6650A1B2:tok', clustername: 'lab', cap: {vms: {'VM.Audit': 1}}}
    route('/api2/json/access/openid/login', (_request, _body, response) => json(response, 200, {data: answer}))
    route('/api2/json/access/ticket', (_request, _body, response) => json(response, 200, {data: {...answer, clustername: undefined}}))
    received.length = 0
    await withClient({}, async (client) => {
      await expect(client.completeLogin({code: 'c0de', state: '{"csrf_token":"t","realm":"cli"}', redirectUrl: 'http://127.0.0.1:1/callback'})).resolves.toEqual(answer)
      const renewed = await client.renewTicket('alice@cli', answer.ticket)
      expect(renewed.CSRFPreventionToken).toBe('6650A1B2:tok')
      expect(renewed.clustername).toBeUndefined()
    })
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({
      code: 'c0de',
      state: '{"csrf_token":"t","realm":"cli"}',
      'redirect-url': 'http://127.0.0.1:1/callback',
    })
    expect(Object.fromEntries(new URLSearchParams(received[1]!.body))).toEqual({username: 'alice@cli', password: answer.ticket})
  })
})

describe('PveClient errors', () => {
  test('an envelope with message (pve-http-server ≥ 5.2) gives that message', async () => {
    route('/api2/json/e/new', (_request, _body, response) =>
      json(response, 500, {data: null, message: "authentication domain 'nope' does not exist\n"}, "authentication domain 'nope' does not exist"),
    )
    const error = await withClient({}, (client) => failure(client.request('GET', '/e/new')))
    expect(error).toBeInstanceOf(PveApiError)
    expect(error).toMatchObject({status: 500, pveMessage: "authentication domain 'nope' does not exist"})
  })

  test('an envelope without message (older PVE) falls back to the reason phrase', async () => {
    route('/api2/json/e/old', (_request, _body, response) => json(response, 500, {data: null}, 'wrong realm type (pam != openid)'))
    const error = await withClient({}, (client) => failure(client.request('GET', '/e/old')))
    expect(error).toMatchObject({status: 500, pveMessage: 'wrong realm type (pam != openid)'})
  })

  test('parameter errors keep their map', async () => {
    route('/api2/json/e/param', (_request, _body, response) =>
      json(response, 400, {data: null, errors: {realm: 'property is missing and it is not optional'}}, 'Parameter verification failed.'),
    )
    const error = await withClient({}, (client) => failure(client.request('POST', '/e/param')))
    expect(error).toMatchObject({status: 400, pveMessage: 'Parameter verification failed.', errors: {realm: 'property is missing and it is not optional'}})
    expect(error.message).toContain('realm: property is missing')
  })

  test.each(['No ticket', 'Authentication failed!'])('an empty-body 401 "%s" is a PveApiError with the reason phrase', async (reason) => {
    route('/api2/json/e/401', (_request, _body, response) => {
      response.writeHead(401, reason)
      response.end()
    })
    const error = await withClient({}, (client) => failure(client.request('GET', '/e/401')))
    expect(error).toBeInstanceOf(PveApiError)
    expect(error).toMatchObject({status: 401, pveMessage: reason})
    expect((error as PveApiError).hint).toMatch(/log in again/)
  })

  test('a 502 HTML page from a reverse proxy is summarised, not dumped', async () => {
    route('/api2/json/e/502', (_request, _body, response) => {
      response.writeHead(502, 'Bad Gateway', {'Content-Type': 'text/html'})
      response.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>')
    })
    const error = await withClient({}, (client) => failure(client.request('GET', '/e/502')))
    expect(error).toBeInstanceOf(PveApiError)
    expect((error as PveApiError).status).toBe(502)
    expect(error.message).toMatch(/Bad Gateway/)
    expect(error.message).not.toMatch(/<|nginx/)
    expect((error as PveApiError).hint).toMatch(/reverse proxy/)
  })

  test('renewTicket() turns PVE\'s 401 into AuthenticationFailedError', async () => {
    route('/api2/json/access/ticket', (_request, _body, response) =>
      json(response, 401, {data: null, message: 'authentication failure\n'}, 'authentication failure'),
    )
    const error = await withClient({}, (client) => failure(client.renewTicket('alice@cli', 'PVE:alice@cli:00000000::old')))
    expect(error).toBeInstanceOf(AuthenticationFailedError)
    expect(error.message).not.toContain('PVE:alice@cli:00000000::old')
  })

  test('connection refused is UnreachableError with a hint', async () => {
    const closed = createHttpServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const freePort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await withClient({server: `https://127.0.0.1:${freePort}`}, (client) => failure(client.domains()))
    expect(error).toBeInstanceOf(UnreachableError)
    expect(error.message).toMatch(/connection refused/)
    expect((error as UnreachableError).hint).toMatch(/8006/)
  })

  test('an unknown host name is UnreachableError', async () => {
    const error = await withClient({server: 'pve.invalid', lookup: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND pve.invalid'), {code: 'ENOTFOUND'}))}, (client) =>
      failure(client.domains()),
    )
    expect(error).toBeInstanceOf(UnreachableError)
    expect(error.message).toMatch(/host name not found/)
  })

  test('a server that does not answer in time is a TimeoutError naming the step', async () => {
    route('/api2/json/e/slow', () => undefined)
    const error = await withClient({timeoutMs: 200}, (client) => failure(client.request('POST', '/e/slow')))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.message).toMatch(/POST \/e\/slow/)
  })

  test('the caller\'s AbortSignal is an AbortedError', async () => {
    const controller = new AbortController()
    route('/api2/json/e/hang', () => controller.abort())
    const error = await withClient({}, (client) => failure(client.request('GET', '/e/hang', {signal: controller.signal})))
    expect(error).toBeInstanceOf(AbortedError)
  })

  test('credentials with line breaks are never sent', async () => {
    await withClient({}, async (client) => {
      const error = await failure(client.request('GET', '/nodes', {ticket: 'PVE:x\r\nX-Evil: 1'}))
      expect(error.message).not.toContain('Evil')
    })
  })
})

describe('PveClient TLS', () => {
  beforeAll(() => route('/api2/json/version', (_request, _body, response) => json(response, 200, {data: {version: '9.1.1'}})))

  test('without a pin, PVE\'s self-signed certificate is refused with its fingerprint', async () => {
    const error = await withClient({tls: {}}, (client) => failure(client.request('GET', '/version')))
    expect(error).toBeInstanceOf(TlsVerificationError)
    expect((error as TlsVerificationError).fingerprint).toBe(fingerprint)
    expect((error as TlsVerificationError).hint).toContain(`tls.fingerprint: "${fingerprint}"`)
    expect((error as TlsVerificationError).advice).toEqual({kind: 'trust-certificate', fingerprint})
    expect((error as TlsVerificationError).hint).toMatch(/pvenode cert info/)
  })

  test('the right pin is accepted in any spelling', async () => {
    const lower = `sha256:${fingerprint.replaceAll(':', '').toLowerCase()}`
    await expect(withClient({tls: {fingerprint: lower}}, (client) => client.request('GET', '/version'))).resolves.toEqual({version: '9.1.1'})
  })

  test('a wrong pin is refused: the certificate changed', async () => {
    const wrong = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00')
    const error = await withClient({tls: {fingerprint: wrong}}, (client) => failure(client.request('GET', '/version')))
    expect(error).toBeInstanceOf(TlsVerificationError)
    expect(error.message).toMatch(/changed/)
    expect((error as TlsVerificationError).fingerprint).toBe(fingerprint)
  })

  test('a CA file makes the certificate trusted', async () => {
    await expect(withClient({tls: {caFile}}, (client) => client.request('GET', '/version'))).resolves.toEqual({version: '9.1.1'})
  })

  test('a CA file does not excuse a wrong host name', async () => {
    const error = await withClient({server: `https://localhost:${port}`, tls: {caFile}, lookup: async () => '127.0.0.1'}, (client) =>
      failure(client.request('GET', '/version')),
    )
    expect(error).toBeInstanceOf(TlsVerificationError)
    expect(error.message).toMatch(/different host name/)
  })

  test('a dispatcher that refuses inside the handshake still yields the fingerprint (by a probe)', async () => {
    const {Agent} = await import('undici')
    const dispatcher = new Agent()
    try {
      const error = await withClient({dispatcher}, (client) => failure(client.request('GET', '/version')))
      expect(error).toBeInstanceOf(TlsVerificationError)
      expect((error as TlsVerificationError).fingerprint).toBe(fingerprint)
    } finally {
      await dispatcher.close()
    }
  })

  test('insecure accepts the certificate', async () => {
    await expect(withClient({tls: {insecure: true}}, (client) => client.request('GET', '/version'))).resolves.toEqual({version: '9.1.1'})
  })
})

describe('PveClient connections', () => {
  test('resolves the host name once and keeps the name for SNI, certificate and Host', async () => {
    route('/api2/json/close', (_request, _body, response) => {
      // Like PVE after an error status: the next request needs a new connection.
      response.setHeader('Connection', 'close')
      json(response, 200, {data: 1})
    })
    const lookups: string[] = []
    received.length = 0
    await withClient(
      {
        server: `pve.test:${port}`,
        tls: {caFile},
        lookup: async (name) => {
          lookups.push(name)
          return '127.0.0.1'
        },
      },
      async (client) => {
        await client.request('GET', '/close')
        await client.request('GET', '/close')
      },
    )
    expect(lookups).toEqual(['pve.test'])
    expect(received.map((r) => r.headers.host)).toEqual([`pve.test:${port}`, `pve.test:${port}`])
  })

  test('without a proxy the requests go over node:https: undici loads only for `dispatcher` (a process of its own)', async () => {
    route('/api2/json/version', (_request, _body, response) => json(response, 200, {data: {version: '9.1.1'}}))
    const script = `
      const {PveClient} = await import(${JSON.stringify(new URL('../src/pve/pve-client.ts', import.meta.url).href)})
      const {createRequire} = await import('node:module')
      const undiciLoaded = () => Object.keys(createRequire(process.cwd() + '/').cache).some((path) => /[\\/]node_modules[\\/]undici[\\/]/.test(path))
      const client = new PveClient({server: 'https://127.0.0.1:${port}', tls: {fingerprint: '${fingerprint}'}, env: {}})
      const version = await client.request('GET', '/version')
      const afterRequest = undiciLoaded()
      void client.dispatcher
      const afterDispatcher = undiciLoaded()
      await client.close()
      process.stdout.write(JSON.stringify({version, afterRequest, afterDispatcher}))
    `
    const env: NodeJS.ProcessEnv = {...process.env}
    delete env.NODE_OPTIONS
    const {stdout} = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {env})
    expect(JSON.parse(stdout)).toEqual({version: {version: '9.1.1'}, afterRequest: false, afterDispatcher: true})
  })

  test('loopback never goes through a proxy from the environment', async () => {
    await expect(
      withClient({env: {HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9'}}, (client) => client.request('GET', '/version')),
    ).resolves.toEqual({version: '9.1.1'})
  })

  describe('through an HTTPS_PROXY', () => {
    let proxy: ReturnType<typeof createHttpServer>
    let proxyPort: number
    const tunnels: string[] = []

    beforeAll(async () => {
      proxy = createHttpServer()
      proxy.on('connect', (request: IncomingMessage, client: Socket) => {
        tunnels.push(request.url ?? '')
        const upstream = netConnect(port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          upstream.pipe(client)
          client.pipe(upstream)
        })
        upstream.on('error', () => client.destroy())
        client.on('error', () => upstream.destroy())
      })
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyPort = (proxy.address() as AddressInfo).port
    })

    afterAll(async () => {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    })

    test('requests tunnel through it and the pin still applies', async () => {
      const env = {HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`}
      tunnels.length = 0
      await expect(withClient({server: `pve.test:${port}`, env}, (client) => client.request('GET', '/version'))).resolves.toEqual({version: '9.1.1'})
      expect(tunnels).toEqual([`pve.test:${port}`])

      const wrong = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00')
      const error = await withClient({server: `pve.test:${port}`, env, tls: {fingerprint: wrong}}, (client) => failure(client.request('GET', '/version')))
      expect(error).toBeInstanceOf(TlsVerificationError)
    })
  })
})
