import {spawn} from 'node:child_process'
import {createServer, type AddressInfo, type Server} from 'node:net'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'
import {quote} from 'shell-quote'
import {canOpenBrowser, openBrowser, parseBrowserCommand} from '../src/login/browser.js'
import {InvalidInputError} from '../src/errors.js'

describe('canOpenBrowser', () => {
  test.each<[string, NodeJS.ProcessEnv, NodeJS.Platform, boolean]>([
    ['Linux desktop (X11)', {DISPLAY: ':0'}, 'linux', true],
    ['Linux desktop (Wayland)', {WAYLAND_DISPLAY: 'wayland-0'}, 'linux', true],
    ['Linux without a display', {}, 'linux', false],
    ['FreeBSD without a display', {}, 'freebsd', false],
    ['SSH session with X forwarding', {DISPLAY: 'localhost:10.0', SSH_CONNECTION: '10.0.0.1 5000 10.0.0.2 22'}, 'linux', false],
    ['SSH session (tty)', {SSH_TTY: '/dev/pts/1'}, 'darwin', false],
    ['SSH session, but BROWSER set', {SSH_CONNECTION: '1 2 3 4', BROWSER: 'w3m'}, 'linux', true],
    ['BROWSER on a headless box', {BROWSER: 'my-opener'}, 'linux', true],
    ['blank BROWSER counts as unset', {BROWSER: '  '}, 'linux', false],
    ['macOS', {}, 'darwin', true],
    ['Windows', {}, 'win32', true],
    ['WSL without a display', {WSL_DISTRO_NAME: 'Ubuntu'}, 'linux', true],
  ])('%s', (_name, env, platform, expected) => {
    expect(canOpenBrowser(env, platform)).toBe(expected)
  })
})

describe('parseBrowserCommand', () => {
  test('splits like a shell would, without one', () => {
    expect(parseBrowserCommand(`open -a 'Google Chrome'`, {})).toEqual(['open', '-a', 'Google Chrome'])
    expect(parseBrowserCommand('firefox --new-window', {})).toEqual(['firefox', '--new-window'])
    expect(parseBrowserCommand('$HOME/bin/opener "a b"', {HOME: '/home/alice'})).toEqual(['/home/alice/bin/opener', 'a b'])
  })

  test.each(['firefox; rm -rf ~', 'firefox | tee log', 'firefox > out', 'a && b', '*.sh', 'firefox # comment', '', '   '])(
    'refuses shell syntax: %j',
    (command) => {
      expect(() => parseBrowserCommand(command, {})).toThrow(InvalidInputError)
    },
  )
})

describe('openBrowser', () => {
  let server: Server
  let port: number
  const received: string[][] = []
  const waiters: Array<(argv: string[]) => void> = []

  beforeAll(async () => {
    server = createServer((socket) => {
      let text = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (text += chunk))
      socket.on('end', () => {
        const argv = JSON.parse(text) as string[]
        received.push(argv)
        waiters.shift()?.(argv)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  /** A "browser" that reports its arguments to the test over TCP, and prints on stdout (which must go nowhere). */
  function fakeBrowser(extra = ''): string {
    const script = `process.stdout.write('NOISE-ON-STDOUT\\n');const s=require('net').connect(${port},'127.0.0.1',()=>s.end(JSON.stringify(process.argv.slice(1))))`
    return `${quote([process.execPath, '-e', script, '--'])} ${extra}`.trim()
  }
  const nextLaunch = () => new Promise<string[]>((resolve) => waiters.push(resolve))
  const url = 'https://idp.example/auth?state=%7B%22a%22%7D&x=1'

  test('runs the browser command with the URL as its last argument', async () => {
    const launched = nextLaunch()
    await openBrowser(url, {browserCommand: fakeBrowser('--new-window'), env: {}})
    expect(await launched).toEqual(['--new-window', url])
  })

  test('puts the URL where %s stands', async () => {
    const launched = nextLaunch()
    await openBrowser(url, {browserCommand: fakeBrowser('--url=%s --x'), env: {}})
    expect(await launched).toEqual([`--url=${url}`, '--x'])
  })

  test('BROWSER is a list; the first command that starts wins', async () => {
    const launched = nextLaunch()
    await openBrowser(url, {env: {BROWSER: `/nonexistent/browser-one:${fakeBrowser()}`}})
    expect(await launched).toEqual([url])
  })

  test('a command that cannot start rejects (the caller shows the URL)', async () => {
    await expect(openBrowser(url, {browserCommand: '/nonexistent/browser', env: {}})).rejects.toMatchObject({code: 'ENOENT'})
  })

  test('a command with shell syntax is InvalidInputError', async () => {
    await expect(openBrowser(url, {browserCommand: 'firefox && echo', env: {}})).rejects.toBeInstanceOf(InvalidInputError)
  })

  test('nothing the browser prints reaches stdout', async () => {
    const launched = nextLaunch()
    const program = `const {openBrowser} = await import(${JSON.stringify(new URL('../src/login/browser.ts', import.meta.url).href)}); await openBrowser(process.argv[1], {browserCommand: process.argv[2], env: {}})`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program, url, fakeBrowser()], {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exitCode = await new Promise((resolve) => child.on('close', resolve))
    expect({exitCode, stderr}).toEqual({exitCode: 0, stderr: ''})
    expect(await launched).toEqual([url])
    expect(stdout).toBe('')
  })
})
