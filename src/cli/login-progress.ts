import type {LoginProgress} from '../login/login-flow.js'
import {formatDuration} from '../format/duration.js'
import type {CliIO} from './io.js'

type Spinner = {text: string; start(): Spinner; stop(): Spinner; clear(): Spinner}

export interface LoginProgressViewOptions {
  /** The person asked for a browser (no --no-browser): when none opens, say why. */
  browserRequested?: boolean
}

/**
 * Shows a login's progress on stderr: the URL when no browser could be opened, then while waiting a spinner with
 * the time left and how to cancel (a plain line when stderr is not a terminal, so logs stay readable).
 */
export class LoginProgressView {
  private spinner: Spinner | undefined
  private waiting = false
  private ticker: NodeJS.Timeout | undefined
  /** The URL was shown for a browser elsewhere, so the person may be typing or pasting an address on this terminal. */
  private awaitingPaste = false

  constructor(
    private readonly io: CliIO,
    private readonly options: LoginProgressViewOptions = {},
  ) {}

  readonly handle = (event: LoginProgress): void => {
    switch (event.type) {
      case 'browser-opened':
        this.line(`Opened your browser to sign in. If nothing appeared, open this URL:\n  ${event.url}`)
        break
      case 'browser-unavailable':
        this.awaitingPaste = true
        if (this.options.browserRequested) this.line(`No browser was opened: ${event.reason}.`)
        this.line(
          `Open this URL in a browser to sign in:\n  ${event.url}\n` +
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
    // A spinner would redraw over the address the person is pasting on the same terminal.
    if (!this.io.terminal.stderr || this.awaitingPaste) {
      this.line(`${text()}…`)
      return
    }
    this.waiting = true
    const {default: yoctoSpinner} = await import('yocto-spinner')
    // The login may have finished while the spinner module loaded.
    if (!this.waiting) return
    this.spinner = yoctoSpinner({text: text(), stream: this.io.stderr as NodeJS.WriteStream, handleSignals: false}).start() as unknown as Spinner
    this.ticker = setInterval(() => {
      if (this.spinner) this.spinner.text = text()
    }, 1000)
    this.ticker.unref()
  }

  private stopWaiting(): void {
    this.waiting = false
    if (this.ticker) clearInterval(this.ticker)
    this.spinner?.stop()
    this.spinner = undefined
    this.ticker = undefined
  }

  private line(text: string): void {
    this.io.stderr.write(`${text}\n`)
  }
}
