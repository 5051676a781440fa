import {mkdtemp, rm} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, expect, test} from '@jest/globals'

import {startCli} from './helpers/cli.js'

/**
 * A signal ends a command the way shells expect: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM),
 * with a message, whatever the command was waiting for. The "server" here accepts connections and never answers.
 */
let silent: Server
let port: number
let home: string
const connections: Socket[] = []
let connected: () => void = () => {}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pve-login-signals-'))
  silent = createServer((socket) => {
    connections.push(socket)
    connected()
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  port = (silent.address() as {port: number}).port
})

afterAll(async () => {
  for (const socket of connections) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
  await rm(home, {recursive: true, force: true})
})

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s while the server does not answer: exit %i with a message', async (signal, code) => {
  const reachedServer = new Promise<void>((resolve) => (connected = resolve))
  const running = startCli(['login', '--server', `https://127.0.0.1:${port}`, '--realm', 'cli', '--insecure', '--no-browser'], {
    env: {PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'},
  })
  await reachedServer
  running.child.kill(signal)
  const result = await running.finished
  expect(result.code).toBe(code)
  expect(result.stderr).toMatch(/cancel/i)
})
