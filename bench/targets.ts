/**
 * The speed and memory targets of `npm run bench`, in one place. Ratios are medians against `node -e 0` measured in
 * interleaved pairs on the same machine; absolute times are medians in milliseconds. Do not loosen them to make a run
 * pass: a miss is a regression to find (issue "Speed": a cached `env` within a quarter of Node's own start).
 */
export interface Target {
  /** × `node -e 0`, median of interleaved pairs. */
  maxRatio?: number
  /** Peak resident set size of the measured process. */
  maxRssMiB?: number
  /** Median wall time, for rows that are not whole-process start-ups. */
  maxMs?: number
}

export const TARGETS = {
  envFile: {maxRatio: 1.25, maxRssMiB: 45},
  envKeychain: {maxRatio: 1.6},
  ticketFile: {maxRatio: 1.25, maxRssMiB: 45},
  libraryCached: {maxRatio: 1.3},
  status: {maxRatio: 2},
  apiVersion: {maxRatio: 2},
  help: {maxRatio: 2},
  /** Process start → the browser command started. */
  loginToBrowser: {maxMs: 250},
  /** Callback delivered → ticket stored → process exit, less PVE's own time for /access/openid/login. */
  callbackToExit: {maxMs: 100},
  /** 50 concurrent `env` at renewal time: wall time as a multiple of one renewing `env`; exactly one renewal. */
  concurrentRenewal: {maxRatio: 3},
} satisfies Record<string, Target>

export type TargetName = keyof typeof TARGETS
