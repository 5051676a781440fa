/**
 * Whole-process measurements for `npm run bench`: a command and `node -e 0` run alternately (A B A B …) so that
 * load on the machine hits both alike; the ratio is of their medians. Both run exactly as given: nothing is preloaded
 * into a timed process (a preload would start Node's module machinery in the baseline too and flatter the ratio).
 * Peak RSS comes from separate, untimed runs with bench/max-rss.cjs preloaded.
 */
import {spawn} from 'node:child_process'
import {readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const RSS_PRELOAD = fileURLToPath(new URL('./max-rss.cjs', import.meta.url))
/** Untimed runs for the peak RSS of each row. */
const RSS_RUNS = 3

export interface ProcessResult {
  status: number | null
  stdout: string
  stderr: string
  ms: number
  /** Date.now() when the process was spawned and when it exited. */
  startedAt: number
  exitedAt: number
}

/** Asynchronous on purpose: the sandbox answers from this process's event loop, which spawnSync would block. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now()
    const started = performance.now()
    const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let exitedAt = 0
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('exit', () => (exitedAt = Date.now()))
    child.once('close', (status) => resolve({status, stdout, stderr, ms: performance.now() - started, startedAt, exitedAt}))
  })
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface PairedMeasurement {
  medianMs: number
  baselineMs: number
  ratio: number
  peakRssMiB: number
}

/**
 * `pairs` interleaved runs of `node args…` and `node -e 0` after one warm-up pair. `prepare` runs before each
 * measured command (outside the timing), for rows that must start from the same state every time.
 */
export async function measurePaired(args: string[], env: NodeJS.ProcessEnv, pairs: number, prepare?: () => Promise<void>): Promise<PairedMeasurement> {
  const subject: number[] = []
  const baseline: number[] = []
  for (let pair = -1; pair < pairs; pair++) {
    const base = await runProcess(process.execPath, ['-e', '0'], env)
    await prepare?.()
    const run = await runProcess(process.execPath, args, env)
    if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr.trim()}`)
    if (pair < 0) continue
    baseline.push(base.ms)
    subject.push(run.ms)
  }
  const rssFile = join(tmpdir(), `pve-login-bench-rss-${process.pid}`)
  let peakKiB = 0
  try {
    for (let run = 0; run < RSS_RUNS; run++) {
      await prepare?.()
      const measured = await runProcess(process.execPath, ['--require', RSS_PRELOAD, ...args], {...env, BENCH_RSS_FILE: rssFile})
      if (measured.status !== 0) throw new Error(`node ${args.join(' ')} exited ${measured.status}: ${measured.stderr.trim()}`)
      peakKiB = Math.max(peakKiB, Number(await readFile(rssFile, 'utf8')))
    }
  } finally {
    await rm(rssFile, {force: true})
  }
  const medianMs = median(subject)
  const baselineMs = median(baseline)
  return {medianMs, baselineMs, ratio: medianMs / baselineMs, peakRssMiB: peakKiB / 1024}
}
