import {spawn} from 'node:child_process'
import {fstatSync} from 'node:fs'
import {delimiter} from 'node:path'
import {parse} from 'shell-quote'
import {InvalidInputError} from '../errors.js'

export interface OpenBrowserOptions {
  /** A command line such as `firefox --new-window` or `open -a 'Google Chrome'`; the URL becomes its last argument. */
  browserCommand?: string
  /** Where BROWSER is read from and `$VARIABLES` in the command are expanded from. Default process.env. */
  env?: NodeJS.ProcessEnv
}

/**
 * Whether a browser can appear in front of the person at this terminal. False inside SSH and on a Linux box without a
 * display, where xdg-open would start a text browser in the background or fail silently; then the URL must be shown
 * instead. BROWSER counts as the person's own answer. WSL opens the Windows browser, display or not.
 */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.BROWSER?.trim()) return true
  if (env.SSH_CONNECTION || env.SSH_TTY) return false
  if (platform === 'darwin' || platform === 'win32') return true
  if (platform === 'linux' && (env.WSL_DISTRO_NAME || env.WSL_INTEROP)) return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/**
 * Splits a browser command into argv without a shell: quotes and `$VARIABLES` are understood, shell operators, globs
 * and comments are refused (they would mean a shell the command never runs in).
 */
export function parseBrowserCommand(command: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const entries = parse(command, (name) => env[name] ?? '')
  const argv = entries.filter((entry): entry is string => typeof entry === 'string')
  if (argv.length !== entries.length || argv.length === 0 || argv[0] === '') {
    throw new InvalidInputError(`The browser command ${JSON.stringify(command)} is not a plain command with arguments.`, {
      hint: 'It runs without a shell: no pipes, redirections, ;, &&, globs or comments. For more, write a small script and give its path.',
    })
  }
  return argv
}

/**
 * Opens the URL in a browser and returns once the launcher has started (it is never awaited further, and nothing it
 * prints can reach stdout, which may be carrying `eval`-able output). Order: the explicit browserCommand, then
 * BROWSER (a list separated like PATH; the first one that starts wins), then the `open` package.
 * Rejects when nothing could be started; the caller then shows the URL.
 */
export async function openBrowser(url: string, options: OpenBrowserOptions = {}): Promise<void> {
  const env = options.env ?? process.env
  const commands = options.browserCommand !== undefined ? [options.browserCommand] : (env.BROWSER ?? '').split(delimiter).filter((c) => c.trim())
  if (commands.length === 0) {
    const {default: open} = await import('open')
    await open(url, {wait: false})
    return
  }
  let lastError: unknown
  for (const command of commands) {
    try {
      await launch(parseBrowserCommand(command, env), url, env)
      return
    } catch (error) {
      if (error instanceof InvalidInputError) throw error
      lastError = error
    }
  }
  throw lastError
}

function launch(argv: string[], url: string, env: NodeJS.ProcessEnv): Promise<void> {
  // BROWSER's convention: `%s` marks where the URL goes; without it the URL is the last argument.
  const hasPlaceholder = argv.slice(1).some((arg) => arg.includes('%s'))
  const args = hasPlaceholder ? argv.slice(1).map((arg) => arg.replaceAll('%s', url)) : [...argv.slice(1), url]
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, args, {detached: true, stdio: ['ignore', 'ignore', launcherStderr()], env})
    child.once('error', reject)
    child.once('spawn', () => {
      child.off('error', reject)
      // Later errors (it crashing, say) are the browser's business, not the login's.
      child.on('error', () => undefined)
      child.unref()
      resolve()
    })
  })
}

/**
 * The launcher shares our stderr, so a person sees why it failed, unless that stderr is a pipe or socket: the browser
 * it starts outlives us and would hold the pipe open, and whoever reads our output (`out=$(pve-login … 2>&1)`,
 * `pve-login … 2>&1 | tee log`, a test harness) would then wait until the browser is closed.
 */
function launcherStderr(): 'inherit' | 'ignore' {
  try {
    const stderr = fstatSync(2)
    return stderr.isFIFO() || stderr.isSocket() ? 'ignore' : 'inherit'
  } catch {
    return 'ignore'
  }
}
