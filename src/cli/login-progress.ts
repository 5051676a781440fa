import type {LoginProgress} from '../login/login-flow.js'
import {formatDuration} from '../format/duration.js'
import type {CliIO} from './io.js'
import type {PastePrompt} from './paste-prompt.js'
import {forTerminal} from '../format/terminal-text.js'

type Spinner = {text: string; start(): Spinner; stop(): Spinner; clear(): Spinner}

export interface LoginProgressViewOptions {
  /** The person asked for a browser (no --no-browser): when none opens, say why. */
  browserRequested?: boolean
  /** Where a pasted address is read; on a terminal its prompt line shows the countdown instead of a spinner. */
  paste?: PastePrompt
}

/**
 * Shows a login's progress on stderr: the URL (always, in case the browser shows nothing), then while waiting the
 * time left and how to cancel. Where the person can paste the address on this terminal, that countdown is the
 * paste prompt's line; otherwise a spinner on a terminal, or one plain line when stderr is not one (logs).
 */
export class LoginProgressView {
  private spinner: Spinner | undefined
  private waiting = false
  private ticker: NodeJS.Timeout | undefined

  constructor(
    private readonly io: CliIO,
    private readonly options: LoginProgressViewOptions = {},
  ) {}

  readonly handle = (event: LoginProgress): void => {
    switch (event.type) {
      case 'browser-opened':
        this.line(`Opened your browser to sign in. The address works once (a second visit stops the login); if nothing appeared, open this URL:\n  ${forTerminal(event.url, {lineBreaks: false})}`)
        if (this.options.paste?.onTerminal) {
          this.line('If that browser cannot reach this machine, paste the address it ends on (http://127.0.0.1:…/callback?…) here.')
        }
        break
      case 'browser-unavailable':
        if (this.options.browserRequested) this.line(`No browser was opened: ${event.reason}.`)
        this.line(
          `Open this URL in a browser to sign in:\n  ${forTerminal(event.url, {lineBreaks: false})}\n` +
            'If that browser runs on another machine, it cannot reach this one after signing in: copy the address it\n' +
            'ends on (http://127.0.0.1:…/callback?…, even if the page fails to load) and paste it here.',
        )
        break
      case 'callback-rejected':
        // A stray request to the listener (a favicon, another tab) is no news; a pasted line the person just typed is.
        if (event.source === 'paste') {
          this.line(`That is not this login's callback: ${event.reason} Paste the whole address the browser ended on, or press Ctrl-C to cancel.`)
        }
        break
      case 'waiting':
        void this.wait(event.deadline)
        break
      case 'exchanging':
        this.stopWaiting()
        this.line('Signed in at the identity provider; asking PVE for a ticket…')
        break
      default:
        break
    }
  }

  stop(): void {
    this.stopWaiting()
  }

  private async wait(deadline: Date): Promise<void> {
    const text = () => `Waiting for the browser sign-in (${formatDuration(Math.max(0, Math.ceil((deadline.getTime() - this.io.now().getTime()) / 1000)))} left; Ctrl-C cancels)`
    const paste = this.options.paste
    if (paste?.onTerminal) {
      // What the person types stays on this line, after the countdown: no spinner draws over it.
      const prompt = () => `${text()}. Or paste the address: `
      this.waiting = true
      paste.setPrompt(prompt())
      this.ticker = setInterval(() => paste.setPrompt(prompt()), 1000)
      this.ticker.unref()
      return
    }
    if (!this.io.terminal.stderr) {
      this.line(`${text()}…`)
      return
    }
    this.waiting = true
    const yoctoSpinner = await (await import('./spinner.js')).loadSpinner()
    // The login may have finished while the spinner module loaded.
    if (!this.waiting) return
    this.spinner = yoctoSpinner({text: text(), stream: this.io.stderr as NodeJS.WriteStream, handleSignals: false}).start() as unknown as Spinner
    this.ticker = setInterval(() => {
      if (this.spinner) this.spinner.text = text()
    }, 1000)
    this.ticker.unref()
  }

  private stopWaiting(): void {
    const wasWaiting = this.waiting
    this.waiting = false
    if (this.ticker) clearInterval(this.ticker)
    // The countdown lived on the paste prompt's line: the wait is over, so is pasting.
    if (wasWaiting && this.options.paste?.onTerminal) this.options.paste.finish()
    this.spinner?.stop()
    this.spinner = undefined
    this.ticker = undefined
  }

  private line(text: string): void {
    if (this.options.paste) this.options.paste.print(text)
    else this.io.stderr.write(`${text}\n`)
  }
}
