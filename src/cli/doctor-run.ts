import type {DoctorReport} from '../doctor/doctor-check.js'
import type {DoctorOptions} from '../doctor/run-doctor.js'
import {AuthenticationFailedError} from '../errors.js'
import {doctorCommand as doctorCommandLine, reportError} from './error-report.js'
import {doctorJson, doctorLines, doctorSummary} from './doctor-report.js'
import {EXIT} from './exit-codes.js'
import {askYesNo} from './line-prompt.js'

/** The parts of the CLI's IO that doctor uses (src/cli/io.ts provides them). */
export interface DoctorIO {
  readonly stderr: NodeJS.WritableStream
  stdin(): NodeJS.ReadableStream
  readonly terminal: {stdin: boolean; stderr: boolean}
  info(message: string): void
}

/** Runs the checks, printing each line as it is known (text mode), and returns the report. */
export async function runDoctorChecks(io: DoctorIO, options: DoctorOptions, mode: {json: boolean}): Promise<DoctorReport> {
  const {runDoctor} = await import('../doctor/run-doctor.js')
  return runDoctor({...options, ...(mode.json ? {} : {onCheck: (result) => io.info(doctorLines(result))})})
}

/** `pve-login doctor`: the text is printed while the checks run; the JSON form and the exit code come back. */
export async function doctor(io: DoctorIO, options: DoctorOptions, mode: {json: boolean}): Promise<{json: unknown; report: string; exitCode: number}> {
  if (!mode.json) io.info(`pve-login doctor: ${options.server ?? 'the remembered server'}${options.realm ? `, realm ${options.realm}` : ''}`)
  const report = await runDoctorChecks(io, options, mode)
  return {json: doctorJson(report), report: doctorSummary(report), exitCode: report.failed ? EXIT.failure : EXIT.ok}
}

/**
 * After PVE refused a login (its bare 401), at a terminal: the error as usual, then `Run pve-login doctor now?`;
 * on yes the checks run with the login's own options. Returns the exit code the login ends with (the refusal's),
 * or undefined when the offer does not apply and the error should take its usual way.
 */
export async function offerDoctorAfterRefusal(
  error: unknown,
  io: DoctorIO,
  options: DoctorOptions & {json: boolean; signal?: AbortSignal},
): Promise<number | undefined> {
  if (!(error instanceof AuthenticationFailedError) || error.during !== 'login') return undefined
  if (options.json || !io.terminal.stdin || !io.terminal.stderr) return undefined
  const report = reportError(error)
  io.stderr.write(report.text)
  const yes = await askYesNo(`Run ${doctorCommandLine(error)} now to find out why?`, {input: io.stdin(), output: io.stderr, ...(options.signal ? {signal: options.signal} : {})})
  if (yes) {
    const {json: _json, ...doctorOptions} = options
    const result = await runDoctorChecks(io, {...doctorOptions, server: error.server ?? options.server, realm: error.realm ?? options.realm}, {json: false})
    io.info(doctorSummary(result))
  }
  return report.exitCode
}
