import type {DoctorReport} from './doctor-check.js'
import type {DoctorOptions} from './run-doctor.js'

/**
 * The package's `runDoctor`: the checks load on first use, so importing the library stays cheap (no HTTP stack,
 * no keychain binding) for scripts that only read a cached ticket.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const {runDoctor: run} = await import('./run-doctor.js')
  return run(options)
}
