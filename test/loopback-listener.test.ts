import {Agent, createServer, request, type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'
import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, jest, test} from '@jest/globals'
import {signedInPage} from '../src/login/callback-page.js'
import {waitForCallback} from '../src/login/callback-wait.js'
import {AbortedError, IdpError, PortInUseError, TimeoutError} from '../src/errors.js'
import {LoopbackListener} from '../src/login/loopback-listener.js'
import {failure} from './helpers/failure.js'

const STATE = '{"csrf_token":"3q2-7wAAAAAAAAAAAAAAAA","realm":"cli"}'
const OTHER_STATE = '{"csrf_token":"AAAAAAAAAAAAAAAAAAAAAA","realm":"cli"}'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

const opened: LoopbackListener[] = []
afterEach(async () => {
  jest.useRealTimers()
  await Promise.all(opened.splice(0).map((listener) => listener.close()))
})

async function listen(options: Parameters<typeof LoopbackListener.listen>[0] = {}): Promise<LoopbackListener> {
  const listener = await LoopbackListener.listen(options)
  opened.push(listener)
  return listener
}

function callbackPath(params: Record<string, string>): string {
  return `/callback?${new URLSearchParams(params).toString()}`
}

function send(port: number, options: {path: string; method?: string; host?: string; agent?: Agent}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: {host: options.host ?? `127.0.0.1:${port}`}, agent: options.agent ?? false},
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body}))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({host: '127.0.0.1', port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

describe('LoopbackListener', () => {
  test('binds 127.0.0.1 on a kernel-chosen port and builds the redirect URL', async () => {
    const listener = await listen()
    expect(listener.port).toBeGreaterThan(0)
    expect(listener.redirectUrl).toBe(`http://127.0.0.1:${listener.port}/callback`)
    const localhost = await listen({redirectHost: 'localhost'})
    expect(localhost.redirectUrl).toBe(`http://localhost:${localhost.port}/callback`)
  })

  test('turns away wrong path, method, Host and state with 4xx and keeps waiting; then takes the right one', async () => {
    const rejected: string[] = []
    const listener = await listen({onRejected: (reason) => rejected.push(reason)})
    const {port} = listener
    const good = callbackPath({code: 'the-code', state: STATE})

    // Before auth-url has answered there is no state to match.
    expect((await send(port, {path: good})).status).toBe(400)
    listener.expectState(STATE)

    const cases: Array<[Parameters<typeof send>[1], number]> = [
      [{path: '/'}, 404],
      [{path: '/favicon.ico'}, 404],
      [{path: good.replace('/callback', '/callback/')}, 404],
      [{path: good, method: 'POST'}, 405],
      [{path: good, host: 'evil.example:80'}, 400],
      [{path: good, host: `127.0.0.1:${port + 1}`}, 400],
      [{path: good, host: '127.0.0.1'}, 400],
      [{path: callbackPath({code: 'x', state: OTHER_STATE})}, 400],
      [{path: callbackPath({code: 'x'})}, 400],
      [{path: callbackPath({state: STATE})}, 400],
      [{path: `${good}&state=${encodeURIComponent(STATE)}`}, 400],
      [{path: callbackPath({error: 'access_denied', state: OTHER_STATE})}, 400],
    ]
    const wronglyAccepted = listener.accepted().then(() => {
      throw new Error('the listener accepted a request it should have turned away')
    })
    for (const [request, status] of cases) {
      const answer = await Promise.race([send(port, request), wronglyAccepted])
      expect({path: request.path, method: request.method, host: request.host, status: answer.status}).toEqual({
        path: request.path,
        method: request.method,
        host: request.host,
        status,
      })
      expect(answer.headers['cache-control']).toBe('no-store')
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(answer.body).toMatch(/still waiting/)
    }
    expect(rejected).toHaveLength(cases.length + 1)
    expect(rejected.join('\n')).not.toContain('csrf_token')

    const accepted = listener.accepted()

    // localhost works as well as 127.0.0.1, whatever the redirect URL said.
    const page = send(port, {path: good, host: `localhost:${port}`})
    await expect(accepted).resolves.toEqual({kind: 'code', code: 'the-code', state: STATE})
    listener.finish(signedInPage({username: 'alice@cli'}))
    const answer = await page
    expect(answer.status).toBe(200)
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.body).toMatch(/signed in as alice@cli/)
    expect(answer.body).toMatch(/close this tab and return to the terminal/)
    expect(answer.body).not.toContain('the-code')
  })

  test('closes after the first valid callback, keep-alive connections included', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const agent = new Agent({keepAlive: true, maxSockets: 1})
    // A spare keep-alive connection, as browsers keep.
    expect((await send(listener.port, {path: '/', agent})).status).toBe(404)
    const sockets = Object.values(agent.freeSockets).flat()
    expect(sockets).toHaveLength(1)
    const spareClosed = new Promise((resolve) => sockets[0]!.once('close', resolve))

    const page = send(listener.port, {path: callbackPath({code: 'c', state: STATE})})
    await listener.accepted()
    listener.finish(signedInPage({username: 'alice@cli'}))
    expect((await page).status).toBe(200)
    await listener.close()
    await spareClosed
    expect(await portIsFree(listener.port)).toBe(true)
    await expect(send(listener.port, {path: '/'})).rejects.toMatchObject({code: 'ECONNREFUSED'})
    agent.destroy()
  })

  test('close() answers a browser request still held', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const page = send(listener.port, {path: callbackPath({code: 'c', state: STATE})})
    await listener.accepted()
    await listener.close()
    const answer = await page
    expect(answer.body).toMatch(/did not complete/)
  })

  test('a fixed port in use is PortInUseError; the next port of the list is used', async () => {
    const taken = await listen()
    const error = await failure(LoopbackListener.listen({ports: [taken.port]}))
    expect(error).toBeInstanceOf(PortInUseError)
    expect((error as PortInUseError).ports).toEqual([taken.port])

    const free = await listen()
    const freePort = free.port
    await free.close()
    const second = await listen({ports: [taken.port, freePort]})
    expect(second.port).toBe(freePort)
  })
})

describe('waitForCallback', () => {
  test('an IdP error with the right state ends the login with IdpError and an escaped page', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const waiting = failure(waitForCallback({listener}))
    const answer = await send(listener.port, {
      path: callbackPath({error: 'access_denied', error_description: '<script>alert("x")</script> & more', state: STATE}),
    })
    const error = await waiting
    expect(error).toBeInstanceOf(IdpError)
    expect(error).toMatchObject({idpError: 'access_denied', idpErrorDescription: '<script>alert("x")</script> & more'})
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.body).not.toContain('<script>')
    expect(answer.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more')
    expect(await portIsFree(listener.port)).toBe(true)
  })

  test('the AbortSignal ends the wait and frees the port', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const controller = new AbortController()
    const waiting = failure(waitForCallback({listener, signal: controller.signal}))
    controller.abort()
    expect(await waiting).toBeInstanceOf(AbortedError)
    expect(await portIsFree(listener.port)).toBe(true)
  })

  test('an already aborted signal never waits', async () => {
    const listener = await listen()
    const controller = new AbortController()
    controller.abort()
    expect(await failure(waitForCallback({listener, signal: controller.signal}))).toBeInstanceOf(AbortedError)
    expect(await portIsFree(listener.port)).toBe(true)
  })

  test('the timeout ends the wait with TimeoutError naming the step, and frees the port', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    jest.useFakeTimers({doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask']})
    const waiting = failure(waitForCallback({listener, timeoutMs: 300_000}))
    jest.advanceTimersByTime(299_999)
    expect(await portIsFree(listener.port)).toBe(false)
    jest.advanceTimersByTime(1)
    const error = await waiting
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.message).toMatch(/5 min/)
    expect(error.message).toMatch(/waiting for the browser/)
    expect(await portIsFree(listener.port)).toBe(true)
  })

  test('a pasted redirect URL is validated like a browser request, and the first valid one wins', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const input = new PassThrough()
    const rejected: string[] = []
    const waiting = waitForCallback({listener, pasteInput: input, onPasteRejected: (reason) => rejected.push(reason)})
    const url = (path: string, host = `127.0.0.1:${listener.port}`) => `http://${host}${path}`

    input.write('\n')
    input.write('not a url\n')
    input.write(`${url(callbackPath({code: 'x', state: OTHER_STATE}))}\n`)
    input.write(`${url(callbackPath({code: 'x', state: STATE}), `127.0.0.1:${listener.port + 1}`)}\n`)
    input.write(`${url(callbackPath({code: 'x', state: STATE})).replace('/callback', '/other')}\n`)
    input.write(`${url(callbackPath({code: 'x', state: STATE})).replace('http:', 'https:')}\n`)
    input.write(`  ${url(callbackPath({code: 'pasted-code', state: STATE}), `localhost:${listener.port}`)}  \r\n`)

    await expect(waiting).resolves.toEqual({code: 'pasted-code', state: STATE, source: 'paste'})
    expect(rejected).toHaveLength(5)
    expect(rejected[1]).toMatch(/another login/)
    expect(rejected.join('\n')).not.toContain('csrf_token')
    // No browser request to answer: the listener is closed at once.
    expect(await portIsFree(listener.port)).toBe(true)
    expect(input.listenerCount('data')).toBe(0)
  })

  test('the end of the paste input keeps the browser path open', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const input = new PassThrough()
    const waiting = waitForCallback({listener, pasteInput: input})
    input.end()
    const page = send(listener.port, {path: callbackPath({code: 'browser-code', state: STATE})})
    await expect(waiting).resolves.toEqual({code: 'browser-code', state: STATE, source: 'browser'})
    listener.finish(signedInPage({username: 'alice@cli'}))
    expect((await page).status).toBe(200)
  })

  test('a pasted IdP error is an IdpError too', async () => {
    const listener = await listen()
    listener.expectState(STATE)
    const input = new PassThrough()
    const waiting = failure(waitForCallback({listener, pasteInput: input}))
    input.write(`http://127.0.0.1:${listener.port}${callbackPath({error: 'access_denied', state: STATE})}\n`)
    expect(await waiting).toBeInstanceOf(IdpError)
  })
})

describe('addresses', () => {
  test('the test helper really sees a bound port as taken', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    expect(await portIsFree((server.address() as AddressInfo).port)).toBe(false)
    await new Promise((resolve) => server.close(resolve))
  })
})
