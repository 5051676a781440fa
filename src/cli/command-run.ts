import {reportError} from './error-report.js'
import {EXIT} from './exit-codes.js'

/**
 * How every command runs, with oclif or on the fast path: the work gets an AbortSignal that Ctrl-C (or SIGTERM)
 * fires, and any failure becomes an exit code plus words on stderr, or a JSON error on stdout with --json.
 */
export async function runCommand(work: (signal: AbortSignal) => Promise<number | void>, options: {json: boolean}): Promise<void> {
  const abort = new AbortController()
  const onSignal = () => {
    // A second Ctrl-C means "now": do not wait on a clean-up that hangs.
    if (abort.signal.aborted) process.exit(EXIT.interrupted)
    abort.abort()
  }
  // `on`, not `once`: proper-lockfile's signal-exit (v3) re-raises a signal when it finds itself the only listener,
  // and `once` removes ours before signal-exit looks, so the process died of SIGINT with the listener still bound.
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const code = await work(abort.signal)
    if (typeof code === 'number' && code !== 0) process.exitCode = code
  } catch (error) {
    const report = reportError(error)
    if (options.json) process.stdout.write(JSON.stringify(report.json) + '\n')
    else process.stderr.write(report.text)
    process.exitCode = report.exitCode
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
