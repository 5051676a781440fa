import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'

/** In CI every capability must be present: a missing one fails the test run instead of skipping silently. */
export const requireAll = process.env['PVE_LOGIN_TEST_REQUIRE_ALL'] === '1'

function secretServiceOnBus(): boolean {
  if (!process.env['DBUS_SESSION_BUS_ADDRESS']) return false
  try {
    const reply = execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    return reply.includes('boolean true')
  } catch {
    return false
  }
}

function commandExists(path: string): boolean {
  return existsSync(path)
}

const announced = new Set<string>()

/**
 * Tells whether a capability exists; when it does not, says so on stderr (so a skip is never silent) and, in CI,
 * throws so the run fails.
 */
function capability(name: string, present: boolean, howToGet: string): boolean {
  if (present) return true
  if (requireAll) throw new Error(`${name} is not available (${howToGet}); PVE_LOGIN_TEST_REQUIRE_ALL=1: CI must not skip this`)
  // Once per capability and test file, however many tests ask.
  if (!announced.has(name)) process.stderr.write(`SKIPPING tests that need ${name}: not available here (${howToGet})\n`)
  announced.add(name)
  return false
}

export const hasSecretService = (): boolean =>
  capability('a Secret Service on the session bus', secretServiceOnBus(), 'run the tests under .ci/with-secret-service (Debian: dbus, gnome-keyring)')

export const hasHungSecretServiceTools = (): boolean =>
  capability('dbus-run-session and gnome-keyring-daemon', commandExists('/usr/bin/dbus-run-session') && commandExists('/usr/bin/gnome-keyring-daemon'), 'apt-get install dbus gnome-keyring')

export const hasChromium = (): boolean => capability('Chromium at /usr/bin/chromium', commandExists('/usr/bin/chromium'), 'apt-get install chromium')

export const hasShell = (path: string): boolean => capability(`the shell ${path}`, commandExists(path), `apt-get install ${path.split('/').pop()}`)

/** util-linux `script`: a real pty for terminal tests (test/helpers/pty.ts). */
export const hasScript = (): boolean => capability('util-linux script (a pty for terminal tests)', commandExists('/usr/bin/script'), 'apt-get install bsdutils')

function debianPythonHasProxmoxer(): boolean {
  if (!commandExists('/usr/bin/python3')) return false
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import proxmoxer'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Debian's python3-proxmoxer under /usr/bin/python3 (not a pyenv python3 that happens to be first on PATH). */
export const hasProxmoxer = (): boolean =>
  capability("proxmoxer for Debian's /usr/bin/python3", debianPythonHasProxmoxer(), 'apt-get install python3-proxmoxer')

export const hasPrivateSecretServiceTools = (): boolean =>
  capability(
    'dbus-daemon, gnome-keyring-daemon, dbus-send and secret-tool',
    ['/usr/bin/dbus-daemon', '/usr/bin/gnome-keyring-daemon', '/usr/bin/dbus-send', '/usr/bin/secret-tool'].every(commandExists),
    'apt-get install dbus gnome-keyring libsecret-tools',
  )
