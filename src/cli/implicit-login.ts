/**
 * The commands that need a ticket on the way (env, exec, ticket, api, refresh) share one policy: use the cached
 * ticket, renew it silently, and open a browser only when a person is there (or --login says so). This module turns
 * their flags into the library's options; it is oclif-free so it can be tested and reused.
 */
import {InvalidInputError} from '../errors.js'
import {formatDuration, parseDuration} from '../format/duration.js'
import type {SessionOptions} from '../session/session-options.js'
import {TICKET_LIFETIME_SECONDS, TICKET_SAFETY_MARGIN_SECONDS} from '../pve/ticket.js'
import type {CliIO} from './io.js'
import {LoginProgressView} from './login-progress.js'
import {PastePrompt} from './paste-prompt.js'

/** The most --min-valid can ask for: what a brand-new ticket offers. More could never be satisfied. */
export const MAX_MIN_VALID_SECONDS = TICKET_LIFETIME_SECONDS - TICKET_SAFETY_MARGIN_SECONDS

export interface ImplicitLoginFlags {
  'min-valid'?: string
  'max-session'?: string
  login?: boolean
  'no-login'?: boolean
  'browser-command'?: string
}

export interface ImplicitLogin {
  /** Merge into the SessionOptions given to getSession/getSessionRecord, keeping its getters (withImplicitLogin). */
  options: Pick<SessionOptions, 'interactive' | 'minValidSeconds' | 'maxSessionSeconds' | 'browserCommand' | 'onProgress' | 'pasteInput'>
  /** Stops the progress display and lets go of stdin; call it once the session is there (or failed). */
  finish(): void
}

/** `--min-valid` in seconds, refusing what a fresh ticket could never satisfy (every call would renew). */
export function parseMinValid(text: string): number {
  const seconds = parseDuration(text)
  if (seconds > MAX_MIN_VALID_SECONDS) {
    throw new InvalidInputError(`--min-valid ${text} is more than a PVE ticket can offer.`, {
      hint: `A PVE ticket lives 2h and pve-login stops using it 1m early, so --min-valid can be at most ${formatDuration(MAX_MIN_VALID_SECONDS)}. For longer runs, use the library's Session.keepAlive() or renew with \`pve-login refresh\`.`,
    })
  }
  return seconds
}

/** `--max-session` (or PVE_LOGIN_MAX_SESSION) in seconds. */
export function parseMaxSession(text: string): number {
  try {
    return parseDuration(text)
  } catch (error) {
    throw new InvalidInputError(`--max-session ${text} is not a duration.`, {hint: 'Give it like 12h, 7d or 90m: the longest time since the browser login during which tickets are renewed silently.', cause: error})
  }
}

/**
 * --login allows a browser login anywhere, --no-login nowhere; otherwise only when stdin and stderr are terminals,
 * so a cron job or CI step fails at once (exit 3) instead of opening a browser nobody sees.
 */
export function implicitLogin(flags: ImplicitLoginFlags, io: CliIO, options: {allowPaste: boolean} = {allowPaste: true}): ImplicitLogin {
  // Asked only when a login is about to start: at a terminal the answer loads node:tty (~2 ms), which a cached
  // `eval "$(pve-login env)"` typed in a shell does not need. `interactive` and `pasteInput` below are getters.
  let atTerminal: boolean | undefined
  const interactive = (): boolean => (flags.login ? true : flags['no-login'] ? false : (atTerminal ??= io.terminal.stdin && io.terminal.stderr))
  // Pasting the redirected URL is the way in when no browser can be shown here (SSH). It reads stdin, so only a
  // command whose stdin is a terminal and not needed afterwards (not exec: its child inherits stdin) offers it.
  const paste = new PastePrompt(() => options.allowPaste && interactive() && io.terminal.stdin, io)
  const progress = new LoginProgressView(io, {paste})
  return {
    options: {
      get interactive() {
        return interactive()
      },
      minValidSeconds: flags['min-valid'] === undefined ? undefined : parseMinValid(flags['min-valid']),
      maxSessionSeconds: flags['max-session'] === undefined ? undefined : parseMaxSession(flags['max-session']),
      browserCommand: flags['browser-command'],
      onProgress: paste.watch(progress.handle),
      get pasteInput() {
        return paste.input
      },
    },
    finish: () => {
      progress.stop()
      paste.finish()
    },
  }
}
