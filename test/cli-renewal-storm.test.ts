/**
 * Issue 14 point 2: processes queued on the session lock must not each retry a renewal that just failed. 50
 * concurrent `env` calls at renewal time cause one POST /access/ticket whether PVE renews, answers 500 at once, or
 * hangs until the request timeout; every one of them exits 0 with a usable ticket.
 */
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {join} from 'node:path'

import {
  copyHome,
  countRequests,
  editStoredSessions,
  forgetClockOffsets,
  LOAD_RECORDER,
  makeTempDir,
  readLoadRecord,
  removeDir,
  runCli,
  seedLogin,
  startCli,
  type CliResult,
} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'
import {acquireSessionLock} from '../src/session/lock.js'

const PARALLEL = 50
const TICKET_PATH = '/api2/json/access/ticket'

let sandbox: SandboxProcess
/** A home whose ticket PVE issued 4000 s ago: 53 minutes of use left, under env's default --min-valid of 60m. */
let agedHome: string
const homes: string[] = []

beforeAll(async () => {
  sandbox = await startSandboxProcess()
  agedHome = await makeTempDir()
  await sandbox.setClock(-4000)
  await seedLogin(sandbox, agedHome)
  // The seeded session stands for a login 4000 s ago with both clocks agreeing.
  await forgetClockOffsets(agedHome)
  await sandbox.setClock(0)
}, 60_000)

afterAll(async () => {
  await sandbox?.stop()
  for (const home of [agedHome, ...homes]) if (home) await removeDir(home)
})

async function freshCopy(): Promise<string> {
  const home = await copyHome(agedHome)
  homes.push(home)
  return home
}

/** Every process exited 0; otherwise the failures' stderr is what the assertion shows. */
function expectAllOk(results: CliResult[]): void {
  expect(results.filter((result) => result.code !== 0).map((result) => `${result.code}: ${result.stderr}`)).toEqual([])
}

function ticketIn(stdout: string): string | undefined {
  return /PROXMOX_VE_AUTH_TICKET='([^']+)'/.exec(stdout)?.[1]
}

async function storedTicket(home: string): Promise<string> {
  const result = await runCli(['ticket', '--no-login', '--min-valid', '1m'], {env: {PVE_LOGIN_HOME: home}})
  expect(result.code).toBe(0)
  return result.stdout.trim()
}

/** PARALLEL `env` processes started together, all against the same home. */
function storm(home: string): Promise<CliResult[]> {
  return Promise.all(
    Array.from({length: PARALLEL}, () => runCli(['env', '--no-login', '--shell', 'sh'], {env: {PVE_LOGIN_HOME: home}, killAfterMs: 150_000})),
  )
}

describe('50 concurrent env at renewal time', () => {
  test('PVE renews: one POST /access/ticket, and all 50 export the renewed ticket', async () => {
    const home = await freshCopy()
    const before = await storedTicket(home)
    await sandbox.resetLog()

    const results = await storm(home)

    expectAllOk(results)
    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(1)
    // Everyone exports the renewed ticket, except any that took the lock over from a holder too starved to keep it
    // fresh (the machine runs 50 of us at once): those use the cached one rather than renew a second time.
    const tickets = new Set(results.map((result) => ticketIn(result.stdout)))
    tickets.delete(before)
    expect(tickets.size).toBe(1)
    expect(tickets.has(undefined)).toBe(false)
  }, 180_000)

  test('PVE answers 500 at once: exactly one POST, all 50 exit 0 with the cached ticket and say why', async () => {
    const home = await freshCopy()
    const cached = await storedTicket(home)
    await sandbox.resetLog()
    // Enough faults for every process: a second attempt would show up as a second 500 in the log.
    await sandbox.fault('/access/ticket', '500', PARALLEL + 5)
    try {
      const results = await storm(home)

      expectAllOk(results)
      expect(results.map((result) => ticketIn(result.stdout))).toEqual(Array(PARALLEL).fill(cached))
      expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(1)
      // The one that tried and those that found its failure name PVE's answer; any that took the lock over from a
      // holder starved past the lock's 10 s (50 of us on a busy machine) say the renewal is under way.
      for (const result of results) expect(result.stderr).toMatch(/sandbox fault: internal server error|renewing the ticket right now/)
      const reused = results.filter((result) => /moments ago in another pve-login|renewing the ticket right now/.test(result.stderr))
      expect(reused).toHaveLength(PARALLEL - 1)
    } finally {
      await sandbox.fault('/access/ticket', '500', 0)
    }
  }, 180_000)

  test('PVE hangs: one attempt, ended by the request timeout, and all 50 exit 0 with the cached ticket', async () => {
    const home = await freshCopy()
    const cached = await storedTicket(home)
    await sandbox.resetLog()
    await sandbox.fault('/access/ticket', 'hang', PARALLEL + 5)
    try {
      const results = await storm(home)

      expectAllOk(results)
      expect(results.map((result) => ticketIn(result.stdout))).toEqual(Array(PARALLEL).fill(cached))
      expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(1)
      expect(results.filter((result) => /did not answer POST \/access\/ticket within 30 s/.test(result.stderr)).length).toBe(PARALLEL)
    } finally {
      await sandbox.fault('/access/ticket', 'hang', 0)
    }
  }, 180_000)
})

describe('a process waiting for another one\'s renewal', () => {
  test('takes the ticket the other one stored without taking the lock itself (nor loading proper-lockfile)', async () => {
    const home = await freshCopy()
    const [session] = JSON.parse((await runCli(['status', '--json'], {env: {PVE_LOGIN_HOME: home}})).stdout) as {server: string; realm: string}[]
    // This test process stands for the one renewing: it holds the session lock.
    const release = await acquireSessionLock(home, {server: session!.server, realm: session!.realm})
    await sandbox.resetLog()
    const log = join(home, 'loaded.json')
    const waiting = startCli(['env', '--no-login', '--shell', 'sh'], {nodeArgs: ['--require', LOAD_RECORDER], env: {PVE_LOGIN_HOME: home, BUILTIN_LOG: log}})
    await waiting.waitForStderr(/waiting for it/)

    // "The renewal": a ticket with two hours left is stored, then the lock is let go.
    const renewedAt = new Date().toISOString()
    await editStoredSessions(home, (record) => {
      record.issuedAt = renewedAt
    })
    await release()
    const result = await waiting.finished

    expect(result.code).toBe(0)
    expect(ticketIn(result.stdout)).toBeDefined()
    expect(countRequests(await sandbox.requestLog(), 'POST', TICKET_PATH)).toBe(0)
    expect((await readLoadRecord(log)).required.filter((file) => file.includes('proper-lockfile'))).toEqual([])
  })
})
