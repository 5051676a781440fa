import type {Interface} from 'node:readline'
import type {PassThrough} from 'node:stream'

import type {LoginProgress} from '../login/login-flow.js'
import type {CliIO, InputStream} from './io.js'

/**
 * Lets a person paste the address the browser ended on, for a browser that cannot reach this machine's listener (it
 * runs elsewhere) or that never appeared. stdin is read only once the URL is on screen: always when no browser was
 * opened, and after a browser launch too when stdin is a terminal (a launcher like BROWSER=/bin/true "succeeds" and
 * shows nothing). Until then stdin stays untouched, so a calling script's input is not eaten.
 *
 * On a terminal (stdin and stderr), readline edits the line: what the person types stays on a prompt line of its
 * own, which carries the countdown and is redrawn with the typed text, instead of echoing into a spinner.
 */
export class PastePrompt {
  /** Whether pasting is offered: asked on first need, since the answer looks at the terminal (node:tty). */
  private readonly offered: () => boolean
  /** input and readline, once decided; undefined until then. */
  private parts: {input: PassThrough; readline: Promise<typeof import('node:readline')>} | null | undefined
  private reading: InputStream | undefined
  private editor: Interface | undefined
  /** stdin was read through readline on a terminal (rather than piped). */
  private terminalMode = false
  /** finish() ran: the wait is over, and pasting does not start again. */
  private done = false
  private promptText = ''
  /** The loaded module, once the editor exists. */
  private loadedReadline: typeof import('node:readline') | undefined
  /** The editor is on its way (readline loading): the terminal is taken already. */
  private editorLoading = false

  /** enabled may be a function: it is called once, when the login first needs the answer (never on a cached `env`). */
  constructor(
    enabled: boolean | (() => boolean),
    private readonly io: CliIO,
  ) {
    this.offered = typeof enabled === 'function' ? enabled : () => enabled
  }

  /** What the login reads pasted lines from (undefined when pasting is not offered). */
  get input(): PassThrough | undefined {
    return this.offer()?.input
  }

  /**
   * node:stream and node:readline load only where pasting is offered: every command that may log in builds a
   * prompt, and a cached `env` must not pay for them.
   */
  private offer(): {input: PassThrough; readline: Promise<typeof import('node:readline')>} | undefined {
    this.parts ??= this.offered() ? {input: new (process.getBuiltinModule('node:stream').PassThrough)(), readline: import('node:readline')} : null
    return this.parts ?? undefined
  }

  /** A person can type or paste the address on this terminal, on the prompt line. */
  get onTerminal(): boolean {
    return this.editor !== undefined || this.editorLoading
  }

  /** Wraps a progress handler so the prompt starts reading when the URL is shown. */
  watch(handle: (event: LoginProgress) => void): (event: LoginProgress) => void {
    return (event) => {
      const parts = this.offer()
      if (parts && !this.reading && !this.done) {
        if (event.type === 'browser-unavailable' || (event.type === 'browser-opened' && this.io.terminal.stdin)) void this.start(parts.input, parts.readline)
      }
      handle(event)
    }
  }

  /** The prompt line's text (the countdown and what to do), redrawn with whatever was typed so far. */
  setPrompt(text: string): void {
    this.promptText = text
    if (!this.editor) return
    this.editor.setPrompt(text)
    this.editor.prompt(true)
  }

  /** A line of output above the prompt line, which is drawn again below it. */
  print(text: string): void {
    if (!this.editor) {
      this.io.stderr.write(`${text}\n`)
      return
    }
    this.clearPromptLine(this.editor)
    this.io.stderr.write(`${text}\n`)
    if (this.promptText) this.editor.prompt(true)
  }

  /**
   * Lets go of stdin, which would otherwise keep the process alive after the login; clears the prompt line. A
   * terminal is only paused (readline's close restores its mode): a question after the login (the doctor offer after
   * a refused login) reads it again. A pipe is destroyed, since nothing else reads it.
   */
  finish(): void {
    this.done = true
    const editor = this.editor
    this.editor = undefined
    if (editor) {
      this.clearPromptLine(editor)
      editor.close()
    }
    const reading = this.reading
    this.reading = undefined
    if (!reading) return
    if (this.terminalMode) {
      reading.pause()
      return
    }
    if (this.parts) reading.unpipe(this.parts.input)
    reading.destroy()
  }

  private async start(input: PassThrough, loading: Promise<typeof import('node:readline')>): Promise<void> {
    this.reading = this.io.stdin()
    if (!(this.io.terminal.stdin && this.io.terminal.stderr)) {
      this.reading.pipe(input)
      return
    }
    this.terminalMode = true
    this.editorLoading = true
    const readline = (this.loadedReadline = await loading)
    this.editorLoading = false
    // The wait may have ended while readline loaded (finish() has let go of stdin then).
    if (this.done || !this.reading) return
    const editor = readline.createInterface({input: this.reading, output: this.io.stderr, terminal: true, prompt: ''})
    editor.on('line', (line) => input.write(`${line}\n`))
    // readline puts the terminal in raw mode, so Ctrl-C arrives as a key: hand it to the command's SIGINT handling.
    editor.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'))
    // Ctrl-D ends pasting; the browser can still come back.
    editor.on('close', () => {
      if (this.editor === editor) this.editor = undefined
      input.end()
    })
    this.editor = editor
    // A prompt set while readline loaded.
    if (this.promptText) {
      editor.setPrompt(this.promptText)
      editor.prompt(true)
    }
  }

  /** Back to the first row of the prompt (a long pasted address wraps) and clear from there down. */
  private clearPromptLine(editor: Interface): void {
    const readline = this.loadedReadline
    if (!readline) return
    const {rows} = editor.getCursorPos()
    readline.cursorTo(this.io.stderr, 0)
    if (rows > 0) readline.moveCursor(this.io.stderr, 0, -rows)
    readline.clearScreenDown(this.io.stderr)
  }
}
