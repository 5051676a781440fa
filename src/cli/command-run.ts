import {printResult, type CommandResult} from './command-result.js'
import {EXIT} from './exit-codes.js'
import type {CliIO} from './io.js'

/**
 * How every command runs, with oclif or on the fast path: the work gets an AbortSignal that Ctrl-C (or SIGTERM)
 * fires, its result is printed as text or JSON, and any failure becomes an exit code plus words on stderr, or a
 * JSON error on stdout with --json. Returns the exit code, which it has also handed to the IO.
 */
export async function runCommand(io: CliIO, work: (signal: AbortSignal) => Promise<CommandResult>, options: {json: boolean}): Promise<number> {
  const abort = new AbortController()
  // 128 + the signal's number, as shells report a process a signal ended: 130 for Ctrl-C, 143 for SIGTERM.
  let signalExitCode: number = EXIT.interrupted
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal means "now": do not wait on a clean-up that hangs.
    if (abort.signal.aborted) process.exit(signalExitCode)
    signalExitCode = signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted
    abort.abort()
  }
  // `on`, not `once`: proper-lockfile's signal-exit (v3) re-raises a signal when it finds itself the only listener,
  // and `once` removes ours before signal-exit looks, so the process died of SIGINT with the listener still bound.
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let code: number
  try {
    code = printResult(io, await work(abort.signal), options)
  } catch (error) {
    // The error wording (advice, hints, terminal-safe text) loads only when there is an error to word.
    const {reportError} = await import('./error-report.js')
    const report = reportError(error, io.env)
    if (options.json) io.stdout.write(JSON.stringify(report.json) + '\n')
    else io.stderr.write(report.text)
    code = report.exitCode === EXIT.interrupted ? signalExitCode : report.exitCode
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // After a signal the person wants the prompt back. A TLS handshake the signal interrupted is beyond undici's
    // reach until its connect timeout (10 s), and it would keep the process alive; the message is out, so go.
    if (abort.signal.aborted) setTimeout(() => process.exit(), 100).unref()
  }
  io.setExitCode(code)
  return code
}
