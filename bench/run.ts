/**
 * `npm run bench [-- --strict] [-- --pairs N]`: how fast the paths scripts hit most are, against the sandbox, as whole
 * processes in interleaved pairs with `node -e 0` (bench/measure.ts). Targets live in bench/targets.ts; a miss is
 * reported, and with --strict makes the exit code 1. Never part of `npm test`: timings belong here, not in tests.
 *
 * The keychain rows need a Secret Service: without one on the session bus, this re-runs itself under
 * .ci/with-secret-service (a private D-Bus and gnome-keyring) when those are installed, and skips the rows otherwise.
 */
import {execFileSync, spawn} from 'node:child_process'
import {cp, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {shellWords} from '../test/sandbox/shell-words.js'
import {startSandbox} from '../test/sandbox/sandbox.js'
import {measurePaired, median, runProcess, type PairedMeasurement} from './measure.js'
import {TARGETS, type Target, type TargetName} from './targets.js'

const repo = fileURLToPath(new URL('..', import.meta.url))
const cli = join(repo, 'bin', 'run.cjs')
const argv = process.argv.slice(2)
const strict = argv.includes('--strict')
const pairsIndex = argv.indexOf('--pairs')
const PAIRS = Math.max(15, pairsIndex >= 0 ? Number(argv[pairsIndex + 1]) : Number(process.env['BENCH_PAIRS'] ?? 20))

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

if (!process.env['PVE_LOGIN_BENCH_UNDER_KEYRING'] && hasCommand('dbus-run-session') && hasCommand('gnome-keyring-daemon')) {
  const child = spawn(join(repo, '.ci', 'with-secret-service'), [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: {...process.env, PVE_LOGIN_BENCH_UNDER_KEYRING: '1'},
  })
  child.once('close', (code) => process.exit(code ?? 1))
} else {
  await main()
}

interface Row {
  name: string
  /** None for the floors: what Node itself costs for a comparable job, printed to read the targets against. */
  target?: TargetName
  /** What is compared with the target: a ratio or milliseconds. */
  value: number
  unit: '×' | 'ms'
  medianMs?: number
  peakRssMiB?: number
  note?: string
  skipped?: string
}

function verdict(row: Row, target: Target): boolean {
  if (row.skipped) return true
  if (target.maxRatio !== undefined && row.unit === '×' && row.value > target.maxRatio) return false
  if (target.maxMs !== undefined && row.unit === 'ms' && row.value > target.maxMs) return false
  if (target.maxRssMiB !== undefined && row.peakRssMiB !== undefined && row.peakRssMiB > target.maxRssMiB) return false
  return true
}

function targetText(target: Target): string {
  return [target.maxRatio !== undefined ? `≤ ${target.maxRatio}×` : '', target.maxMs !== undefined ? `≤ ${target.maxMs} ms` : '', target.maxRssMiB !== undefined ? `≤ ${target.maxRssMiB} MiB` : '']
    .filter(Boolean)
    .join(', ')
}

function pairedRow(name: string, target: TargetName | undefined, m: PairedMeasurement): Row {
  return {name, target, value: m.ratio, unit: '×', medianMs: m.medianMs, peakRssMiB: m.peakRssMiB}
}

/** Every stored session file below a PVE_LOGIN_HOME (the file store's JSON). */
async function sessionFiles(home: string): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && entry.name.endsWith('.json') && (await readFile(path, 'utf8')).includes('"issuedAt"')) found.push(path)
    }
  }
  await walk(home)
  return found
}

/**
 * Makes the stored ticket look `seconds` old to pve-login without touching PVE: PVE's own ticket stays fresh, so a
 * renewal succeeds. The file store's JSON is documented (docs/storage.md), so this is the same edit a person could make.
 */
async function ageStoredSessions(home: string, seconds: number): Promise<void> {
  const files = await sessionFiles(home)
  if (files.length === 0) throw new Error(`no stored session under ${home}`)
  for (const file of files) {
    const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    for (const field of ['issuedAt', 'loginAt']) {
      if (typeof record[field] === 'string') record[field] = new Date(Date.parse(record[field] as string) - seconds * 1000).toISOString()
    }
    await writeFile(file, JSON.stringify(record), {mode: 0o600})
  }
}

async function main(): Promise<void> {
  const sandbox = await startSandbox()
  const scratch = await mkdtemp(join(tmpdir(), 'pve-login-bench-'))
  const fileHome = join(scratch, 'file')
  const keychainHome = join(scratch, 'keychain')
  const baseEnv: NodeJS.ProcessEnv = {PATH: process.env['PATH'], HOME: scratch, LANG: 'C.UTF-8', DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS']}
  const fileEnv = {...baseEnv, PVE_LOGIN_HOME: fileHome, PVE_LOGIN_STORE: 'file'}
  const keychainEnv = {...baseEnv, PVE_LOGIN_HOME: keychainHome, PVE_LOGIN_STORE: 'keychain'}
  const timingFile = join(scratch, 'browser-timing')
  const login = ['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint]
  const rows: Row[] = []
  try {
    // One login per store; later rows read what it left.
    const first = await runProcess(process.execPath, [cli, ...login, '--browser-command', sandbox.robotBrowser], fileEnv)
    if (first.status !== 0) throw new Error(`login failed: ${first.stderr}`)

    rows.push(pairedRow('env (cached, file store)', 'envFile', await measurePaired([cli, 'env'], fileEnv, PAIRS)))
    rows.push(pairedRow('ticket (cached, file store)', 'ticketFile', await measurePaired([cli, 'ticket'], fileEnv, PAIRS)))
    // The package's entry as its users import it (package.json exports; this repository references itself).
    const library = `const {getSession} = await import('pve-login'); const s = await getSession({interactive: false}); process.stdout.write(s.username); await s.close()`
    rows.push(pairedRow('library: import + getSession() (cached, file store)', 'libraryCached', await measurePaired(['--input-type=module', '-e', library], fileEnv, PAIRS)))
    rows.push(pairedRow('status (cached)', 'status', await measurePaired([cli, 'status'], fileEnv, PAIRS)))
    rows.push(pairedRow('api /version (cached)', 'apiVersion', await measurePaired([cli, 'api', '/version'], fileEnv, PAIRS)))
    rows.push(pairedRow('--help', 'help', await measurePaired([cli, '--help'], fileEnv, PAIRS)))
    // Floors: an ES module that reads one small file and prints it; the keychain binding's load and one lookup.
    const floorModule = join(scratch, 'floor.mjs')
    await writeFile(floorModule, `import {readFileSync} from 'node:fs'\nprocess.stdout.write(readFileSync(${JSON.stringify(join(repo, 'package.json'))}, 'utf8').slice(0, 64))\n`)
    rows.push(pairedRow('floor: an ES module reads a small file, prints a line', undefined, await measurePaired([floorModule], fileEnv, PAIRS)))

    const keychainLogin = await runProcess(process.execPath, [cli, ...login, '--browser-command', sandbox.robotBrowser], keychainEnv)
    if (keychainLogin.status === 0) {
      rows.push(pairedRow('env (cached, keychain: gnome-keyring)', 'envKeychain', await measurePaired([cli, 'env'], keychainEnv, PAIRS)))
      const keyringFloor = `const {Entry} = require(${JSON.stringify(createRequire(cli).resolve('@napi-rs/keyring'))}); process.stdout.write(String(new Entry('pve-login-bench', 'nobody').getPassword()))`
      rows.push(pairedRow('floor: load @napi-rs/keyring, one getPassword', undefined, await measurePaired(['-e', keyringFloor], keychainEnv, PAIRS)))
    } else {
      rows.push({name: 'env (cached, keychain: gnome-keyring)', target: 'envKeychain', value: 0, unit: '×', skipped: `no usable Secret Service (${keychainLogin.stderr.split('\n')[0]})`})
    }

    // Whole logins: start → browser command, and callback → stored → exit (less PVE's own time for the login call).
    const toBrowser: number[] = []
    const callbackToExit: number[] = []
    const loginEnv = {...fileEnv, PVE_LOGIN_HOME: join(scratch, 'logins'), BENCH_TIMING_FILE: timingFile, BENCH_ROBOT: sandbox.robotBrowser, ROBOT_TIMING_FILE: timingFile}
    const browserCommand = shellWords(['/bin/sh', join(repo, 'bench', 'timed-browser.sh')])
    for (let run = 0; run < 8; run++) {
      await rm(timingFile, {force: true})
      sandbox.controls.requestLog.clear()
      const result = await runProcess(process.execPath, [cli, ...login, '--browser-command', browserCommand], loginEnv)
      if (result.status !== 0) throw new Error(`timed login failed: ${result.stderr}`)
      const lines = (await readFile(timingFile, 'utf8')).trim().split('\n')
      const browserStartedMs = Number(BigInt(lines[0]!) / 1_000_000n)
      const callbackLine = lines.find((line) => line.startsWith('callback '))
      const pveLogin = sandbox.controls.requestLog.list().find((entry) => entry.method === 'POST' && entry.path.endsWith('/access/openid/login'))
      if (run === 0) continue
      toBrowser.push(browserStartedMs - result.startedAt)
      if (callbackLine && pveLogin) callbackToExit.push(result.exitedAt - Number(callbackLine.slice('callback '.length)) - pveLogin.durationMs)
    }
    rows.push({name: 'login: start → browser command started', target: 'loginToBrowser', value: median(toBrowser), unit: 'ms'})
    rows.push(
      callbackToExit.length
        ? {name: 'login: callback → stored → exit (less PVE)', target: 'callbackToExit', value: median(callbackToExit), unit: 'ms'}
        : {name: 'login: callback → stored → exit (less PVE)', target: 'callbackToExit', value: 0, unit: 'ms', skipped: 'the robot browser did not report its callback time (ROBOT_TIMING_FILE)'},
    )

    // 50 processes find a ticket due for renewal at once: one renews, the others wait for it and use its result.
    const renewHome = join(scratch, 'renew')
    const renewEnv = {...fileEnv, PVE_LOGIN_HOME: renewHome}
    const snapshot = join(scratch, 'renew-snapshot')
    await cp(fileHome, snapshot, {recursive: true})
    await ageStoredSessions(snapshot, 3700)
    const single: number[] = []
    for (let run = 0; run < 5; run++) {
      await rm(renewHome, {recursive: true, force: true})
      await cp(snapshot, renewHome, {recursive: true})
      const result = await runProcess(process.execPath, [cli, 'env'], renewEnv)
      if (result.status !== 0) throw new Error(`renewing env failed: ${result.stderr}`)
      single.push(result.ms)
    }
    await rm(renewHome, {recursive: true, force: true})
    await cp(snapshot, renewHome, {recursive: true})
    sandbox.controls.requestLog.clear()
    const started = performance.now()
    const all = await Promise.all(Array.from({length: 50}, () => runProcess(process.execPath, [cli, 'env'], renewEnv)))
    const wall = performance.now() - started
    const renewals = sandbox.controls.requestLog.list().filter((entry) => entry.method === 'POST' && entry.path.endsWith('/access/ticket')).length
    const failed = all.filter((result) => result.status !== 0).length
    // What 50 processes at once cost this machine with nothing to do: the floor under the row's wall time.
    const floorStarted = performance.now()
    await Promise.all(Array.from({length: 50}, () => runProcess(process.execPath, ['-e', '0'], renewEnv)))
    const floorWall = performance.now() - floorStarted
    rows.push({
      name: '50 concurrent env at renewal time',
      target: 'concurrentRenewal',
      value: wall / median(single),
      unit: '×',
      medianMs: wall,
      note: `${renewals} renewal${renewals === 1 ? '' : 's'}, ${failed} failed; one renewing env ${median(single).toFixed(0)} ms; 50 × node -e 0 at once ${floorWall.toFixed(0)} ms`,
    })
    if (renewals !== 1 || failed > 0) rows.at(-1)!.note += ' — WRONG: expected exactly 1 renewal and no failure'
  } finally {
    await sandbox.stop()
    await rm(scratch, {recursive: true, force: true})
  }
  report(rows)
}

function report(rows: Row[]): void {
  let missed = 0
  const lines = rows.map((row) => {
    const target = row.target ? (TARGETS[row.target] as Target) : undefined
    const ok = !target || (verdict(row, target) && !row.note?.includes('WRONG'))
    if (!ok) missed++
    const value = row.skipped ? 'skipped' : row.unit === '×' ? `${row.value.toFixed(2)}×` : `${row.value.toFixed(0)} ms`
    const ms = row.medianMs !== undefined ? `${row.medianMs.toFixed(0)} ms` : ''
    const rss = row.peakRssMiB !== undefined ? `${row.peakRssMiB.toFixed(1)} MiB` : ''
    const status = row.skipped ? `skipped: ${row.skipped}` : !target ? 'floor' : ok ? 'ok' : 'MISSED'
    return `| ${row.name} | ${ms} | ${value} | ${rss} | ${target ? targetText(target) : ''} | ${status}${row.note ? ` (${row.note})` : ''} |`
  })
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  process.stdout.write(
    [
      `pve-login bench: ${PAIRS} interleaved pairs with node -e 0 per row, medians; Node ${process.version}, ${cpus().length} × ${cpu}`,
      '',
      '| what | median | × node -e 0 / value | peak RSS | target | |',
      '|---|---|---|---|---|---|',
      ...lines,
      '',
      missed ? `${missed} target${missed === 1 ? '' : 's'} missed${strict ? '' : ' (run with --strict to fail on it)'}` : 'all targets met',
      '',
    ].join('\n'),
  )
  process.exitCode = strict && missed ? 1 : 0
}
