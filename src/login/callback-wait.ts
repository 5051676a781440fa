import {createInterface} from 'node:readline'
import {AbortedError, IdpError, LoginRequiredError, TimeoutError} from '../errors.js'
import type {AcceptedCallback, LoopbackListener} from './loopback-listener.js'

export const DEFAULT_CALLBACK_TIMEOUT_MS = 300_000

export interface CallbackResult {
  code: string
  state: string
  /** Where the code came from: the browser's request to the listener, or a URL a person pasted. */
  source: 'browser' | 'paste'
}

export interface WaitForCallbackOptions {
  /** Listening, and told the expected state. */
  listener: LoopbackListener
  /**
   * Lines a person may paste the redirected URL into, when the browser runs on a machine that cannot reach this
   * listener. Its end is not an error: the listener keeps waiting.
   */
  pasteInput?: NodeJS.ReadableStream
  timeoutMs?: number
  signal?: AbortSignal
  /** Told about each pasted line that was not this login's callback. */
  onPasteRejected?: (reason: string) => void
  /**
   * Nothing but a paste can bring the sign-in back: no browser was opened here and the port is random, so not even
   * an SSH forward set up in advance reaches the listener. Then no paste input, or one that ends, fails at once.
   */
  pasteIsTheOnlyWayBack?: boolean
}

/**
 * Waits for the first of: the browser's callback, a pasted redirect URL, the timeout, the abort signal. Every way out
 * except a code from the browser closes the listener before it settles (the browser's request stays open for the page
 * that reports the outcome; the caller finishes and closes it). An IdP error becomes an IdpError.
 */
export function waitForCallback(options: WaitForCallbackOptions): Promise<CallbackResult> {
  const {listener, signal} = options
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS
  const stopPaste = new AbortController()

  return new Promise<CallbackResult>((resolve, reject) => {
    let settled = false
    const settle = (closeListener: boolean, outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      stopPaste.abort()
      if (closeListener) listener.close().then(outcome, outcome)
      else outcome()
    }
    const onAccepted = (callback: AcceptedCallback, source: CallbackResult['source']) => {
      if (callback.kind === 'idp-error') {
        settle(true, () => reject(new IdpError(callback.error, callback.description, {hint: idpHint(callback.error)})))
        return
      }
      settle(source === 'paste', () => resolve({code: callback.code, state: callback.state, source}))
    }
    const onAbort = () => settle(true, () => reject(new AbortedError('Login cancelled.')))
    const timer = setTimeout(
      () =>
        settle(true, () =>
          reject(
            new TimeoutError(`No sign-in arrived within ${describeDuration(timeoutMs)} (the step waiting for the browser to come back).`, {
              hint:
                'Start the login again and finish signing in sooner. If the browser runs on another machine, paste the address ' +
                'it ends on (http://127.0.0.1:…/callback?…) into the terminal, or forward the port with ssh -L.',
            }),
          ),
        ),
      timeoutMs,
    )

    if (signal?.aborted) {
      onAbort()
      return
    }
    signal?.addEventListener('abort', onAbort, {once: true})
    listener.accepted().then(
      (callback) => onAccepted(callback, 'browser'),
      // The login was tampered with (start URL opened twice, callback before it): stop, loudly.
      (error: unknown) => settle(true, () => reject(error)),
    )
    const noWayBack = () => settle(true, () => reject(noWayBackError(options.pasteInput !== undefined)))
    if (options.pasteInput) {
      readPastedCallback(options.pasteInput, listener, stopPaste.signal, options.onPasteRejected).then(
        (callback) => {
          if (callback) onAccepted(callback, 'paste')
          else if (options.pasteIsTheOnlyWayBack && !stopPaste.signal.aborted) noWayBack()
        },
        // An unreadable input only ends pasting; the browser can still come back.
        () => (options.pasteIsTheOnlyWayBack ? noWayBack() : undefined),
      )
    } else if (options.pasteIsTheOnlyWayBack) {
      noWayBack()
    }
  })
}

/** Reads lines until one is this login's callback (or IdP error); undefined when the input ends or reading is stopped. */
async function readPastedCallback(
  input: NodeJS.ReadableStream,
  listener: LoopbackListener,
  stop: AbortSignal,
  onRejected: ((reason: string) => void) | undefined,
): Promise<AcceptedCallback | undefined> {
  const lines = createInterface({input, terminal: false, crlfDelay: Infinity})
  const onStop = () => lines.close()
  stop.addEventListener('abort', onStop, {once: true})
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue
      const verdict = listener.judgePasted(line)
      if (verdict.kind !== 'rejected') return verdict
      onRejected?.(verdict.reason)
    }
    return undefined
  } finally {
    stop.removeEventListener('abort', onStop)
    lines.close()
  }
}

/** No browser here, a random port, and nothing to paste into: waiting could only end in the timeout. */
function noWayBackError(inputEnded: boolean): LoginRequiredError {
  return new LoginRequiredError(
    `The sign-in has no way back here: no browser was opened on this machine, ${inputEnded ? 'the input to paste its address into has ended (not a terminal)' : 'there is no input to paste its address into'}, and the listening port is random.`,
    {
      hint:
        'Log in from a terminal (to paste the address the browser ends on), or where a browser can open, or listen on a fixed port ' +
        'that a browser elsewhere reaches through an SSH forward (ssh -L PORT:127.0.0.1:PORT).',
    },
  )
}

function idpHint(error: string): string {
  if (error === 'access_denied') return 'The sign-in was cancelled or refused at the identity provider. Start the login again, or ask its administrator for access.'
  if (error === 'invalid_request' || error === 'unauthorized_client' || error === 'invalid_scope') {
    return 'The identity provider rejected how PVE asked: often the redirect URI (http://127.0.0.1:<port>/callback) is not registered for this client. See docs/login.md.'
  }
  return 'See docs/troubleshooting.md; the identity provider\'s own log has the details.'
}

function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`
  return `${seconds} s`
}
