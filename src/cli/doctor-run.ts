import type {DoctorReport} from '../doctor/doctor-check.js'
import type {DoctorOptions} from '../doctor/run-doctor.js'
import {isPveLoginError} from '../errors.js'
import {doctorCommandLine} from './cli-wording.js'
import {reportError} from './error-report.js'
import {doctorJson, doctorLines, doctorSummary} from './doctor-report.js'
import {EXIT} from './exit-codes.js'
import type {CliIO} from './io.js'
import {askYesNo} from './line-prompt.js'

/** The parts of the CLI's IO that doctor uses. */
export type DoctorIO = Pick<CliIO, 'stderr' | 'stdin' | 'terminal' | 'info' | 'env'>

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
  const advice = isPveLoginError(error) ? error.advice : undefined
  if (advice?.kind !== 'login-refused') return undefined
  if (options.json || !io.terminal.stdin || !io.terminal.stderr) return undefined
  const report = reportError(error, io.env)
  io.stderr.write(report.text)
  const server = advice.server ?? options.server
  const yes = await askYesNo(`Run ${doctorCommandLine(server, advice.realm)} now to find out why?`, {input: io.stdin(), output: io.stderr, ...(options.signal ? {signal: options.signal} : {})})
  if (yes) {
    const {json: _json, ...doctorOptions} = options
    const result = await runDoctorChecks(io, {...doctorOptions, server, realm: advice.realm}, {json: false})
    io.info(doctorSummary(result))
  }
  return report.exitCode
}
