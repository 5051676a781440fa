import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, expect, test} from '@jest/globals'

/**
 * A signal ends a command the way shells expect: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM),
 * with a message, whatever the command was waiting for. The "server" here accepts connections and never answers.
 */
const CLI = fileURLToPath(new URL('../bin/run.js', import.meta.url))
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
  const env: NodeJS.ProcessEnv = {...process.env, PVE_LOGIN_HOME: home, PVE_LOGIN_STORE: 'file'}
  delete env['NODE_OPTIONS']
  const child = spawn(process.execPath, [CLI, 'login', '--server', `https://127.0.0.1:${port}`, '--realm', 'cli', '--insecure', '--no-browser'], {env, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (status) => resolve(status)))
  await reachedServer
  child.kill(signal)
  expect(await exited).toBe(code)
  expect(stderr).toMatch(/cancel/i)
})
