/**
 * A private, real Secret Service for one test file: its own dbus-daemon and gnome-keyring-daemon (with a throwaway
 * keyring folder, never the developer's own), which a test can freeze (SIGSTOP: a wedged daemon that owns its name
 * and never answers), thaw, or lock (a collection that reads but refuses writes when nothing can prompt).
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {promisify} from 'node:util'

import {makeTempDir, removeDir} from './cli.js'

const run = promisify(execFile)

export interface PrivateSecretService {
  /** Add to a CLI's environment: the private bus. */
  env: {DBUS_SESSION_BUS_ADDRESS: string}
  freeze(): void
  thaw(): void
  /** Locks the default (login) collection: reads still work, writes need an unlock prompt no one can answer. */
  lock(): Promise<void>
  /** The secret stored for `username` under service pve-login, or undefined (via secret-tool, another client). */
  lookup(username: string): Promise<string | undefined>
  /** Stores an item with these attributes in the login collection (via secret-tool, another client). */
  store(attributes: Record<string, string>, secret: Buffer | string): Promise<void>
  /** Is gnome-keyring-daemon (the one started here) still running? */
  running(): boolean
  stop(): Promise<void>
}

export async function startSecretService(): Promise<PrivateSecretService> {
  const home = await makeTempDir('pve-login-keyring-')
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {stdio: ['ignore', 'pipe', 'ignore']})
  const address = await firstLine(bus)
  const env = {...process.env, DBUS_SESSION_BUS_ADDRESS: address, HOME: home, XDG_DATA_HOME: home, XDG_RUNTIME_DIR: home}
  const daemon = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {env, stdio: ['pipe', 'ignore', 'ignore']})
  // An empty line: the password of the login keyring it creates.
  daemon.stdin!.end('\n')
  const dbusSend = (args: string[]) => run('dbus-send', ['--session', '--print-reply', ...args], {env, encoding: 'utf8'})
  // Wait for the daemon to own its name: each round trip is the event waited for; bounded.
  for (let attempt = 0; ; attempt++) {
    const {stdout} = await dbusSend(['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'])
    if (stdout.includes('boolean true')) break
    if (attempt > 2000 || daemon.exitCode !== null) throw new Error('gnome-keyring-daemon did not appear on the private bus')
  }
  return {
    env: {DBUS_SESSION_BUS_ADDRESS: address},
    freeze: () => daemon.kill('SIGSTOP'),
    thaw: () => daemon.kill('SIGCONT'),
    lock: async () => {
      await dbusSend(['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'])
    },
    lookup: async (username) => {
      try {
        return (await run('secret-tool', ['lookup', 'service', 'pve-login', 'username', username], {env, encoding: 'utf8'})).stdout
      } catch {
        return undefined
      }
    },
    store: async (attributes, secret) => {
      const child = execFile('secret-tool', ['store', '--label=pve-login test', ...Object.entries(attributes).flat()], {env})
      const exited = new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`secret-tool store exited with ${code}`)))))
      child.stdin!.end(secret)
      await exited
    },
    running: () => daemon.exitCode === null && daemon.signalCode === null,
    stop: async () => {
      daemon.kill('SIGCONT')
      daemon.kill('SIGTERM')
      bus.kill('SIGTERM')
      await removeDir(home)
    },
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\n')) resolve(text.split('\n')[0]!.trim())
    })
    child.once('exit', () => reject(new Error('dbus-daemon ended before printing its address')))
  })
}
