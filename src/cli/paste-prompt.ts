import {PassThrough} from 'node:stream'

import type {LoginProgress} from '../login/login-flow.js'
import type {CliIO, InputStream} from './io.js'

/**
 * Lets a person paste the address a browser on another machine ended on. stdin is read only once the login showed
 * the URL for such a browser (no browser here, --no-browser, or a browser command that failed to start), so until
 * then it stays untouched: a calling script's input is not eaten, and exec's child keeps its terminal.
 */
export class PastePrompt {
  /** What the login reads pasted lines from (undefined when pasting is not offered). */
  readonly input: PassThrough | undefined
  private reading: InputStream | undefined

  constructor(
    enabled: boolean,
    private readonly io: CliIO,
  ) {
    this.input = enabled ? new PassThrough() : undefined
  }

  /** Wraps a progress handler so the prompt starts reading when the URL is shown for pasting. */
  watch(handle: (event: LoginProgress) => void): (event: LoginProgress) => void {
    return (event) => {
      if (event.type === 'browser-unavailable' && this.input && !this.reading) {
        this.reading = this.io.stdin()
        this.reading.pipe(this.input)
      }
      handle(event)
    }
  }

  /** Lets go of stdin, which would otherwise keep the process alive after the login. */
  finish(): void {
    if (!this.reading || !this.input) return
    this.reading.unpipe(this.input)
    this.reading.destroy()
  }
}
