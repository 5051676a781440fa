/**
 * `pve-login` with a real browser: BROWSER is a script that drives Debian's Chromium (playwright-core) through the
 * sandbox IdP's sign-in form and waits for the loopback listener's page. Run `npm run build` first. Needs
 * /usr/bin/chromium: skipped loudly without it, and a failure in CI (PVE_LOGIN_TEST_REQUIRE_ALL=1).
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {hasChromium} from './helpers/capabilities.js'
import {fileAppears, makeTempDir, removeDir, runCli, type CliResult} from './helpers/cli.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'

const CHROMIUM_BROWSER = fileURLToPath(new URL('./fixtures/chromium-browser.mjs', import.meta.url))
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

interface ChromiumReport {
  callback: {host: string; path: string}
  title: string
  heading: string
  text: string
  /** The scheme and type of the page's icon link, e.g. `data:image/svg+xml,`. */
  favicon: string | null
  /** 4xx/5xx answers Chromium got from 127.0.0.1 (other than the callback itself). */
  failedResponses: string[]
  /** Origins Chromium tried to reach outside 127.0.0.1. */
  refused: string[]
}

async function expectPng(path: string): Promise<void> {
  expect((await stat(path)).size).toBeGreaterThan(1000)
  expect((await readFile(path)).subarray(0, 8)).toEqual(PNG_SIGNATURE)
}

const describeWithChromium = hasChromium() ? describe : describe.skip

describeWithChromium('pve-login with Chromium as the browser', () => {
  let sandbox: SandboxProcess
  let scratch: string

  beforeAll(async () => {
    ;[sandbox, scratch] = await Promise.all([startSandboxProcess(), makeTempDir('pve-login-chromium-')])
  })

  afterAll(async () => {
    await sandbox?.stop()
    // PVE_LOGIN_KEEP_SCREENSHOTS=1 leaves the screenshots for a person to look at.
    if (scratch && process.env['PVE_LOGIN_KEEP_SCREENSHOTS'] !== '1') await removeDir(scratch)
    else if (scratch) process.stderr.write(`screenshots kept in ${scratch}\n`)
  })

  /** One login with Chromium as BROWSER; the report is read once the script has closed Chromium. */
  async function loginWithChromium(name: string, signIn: Record<string, string>): Promise<{outcome: CliResult; report: ChromiumReport; outputDir: string}> {
    const outputDir = join(scratch, name)
    await mkdir(outputDir)
    const outcome = await runCli(['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint, '--store', 'file'], {
      env: {
        PVE_LOGIN_HOME: join(outputDir, 'home'),
        // BROWSER is split on colons like PATH; these absolute paths have none.
        BROWSER: `${process.execPath} ${CHROMIUM_BROWSER}`,
        CHROMIUM_OUTPUT_DIR: outputDir,
        ...signIn,
      },
      killAfterMs: 45_000,
    })
    // pve-login never waits for its browser; the script reports once Chromium has closed.
    const report = await fileAppears(join(outputDir, 'report.json'), 20_000).then(
      async (path) => JSON.parse(await readFile(path, 'utf8')) as ChromiumReport,
      async (error: Error) => {
        const log = existsSync(join(outputDir, 'log.txt')) ? await readFile(join(outputDir, 'log.txt'), 'utf8') : '(no log)'
        throw new Error(`${error.message}\nbrowser script log:\n${log}\npve-login exit ${outcome.code}, stderr:\n${outcome.stderr}`)
      },
    )
    return {outcome, report, outputDir}
  }

  test('signs in through the IdP form; Chromium ends on the "Signed in" page and pve-login exits 0', async () => {
    const {outcome, report, outputDir} = await loginWithChromium('sign-in', {SIGN_IN_USER: 'alice', SIGN_IN_PASSWORD: 'alice-password'})
    expect({code: outcome.code, stdout: outcome.stdout}).toEqual({code: 0, stdout: ''})
    expect(outcome.stderr).toContain(`Logged in to ${sandbox.pveUrl} (cluster sandbox) as alice@cli.`)

    expect(report.callback).toEqual({host: '127.0.0.1', path: '/callback'})
    expect(report.title).toBe('Signed in to Proxmox VE - pve-login')
    expect(report.heading).toBe('Signed in to Proxmox VE')
    // The page names the user, the server and the cluster, so a person with several clusters sees which this was.
    expect(report.text).toContain(`You are signed in as alice@cli at ${new URL(sandbox.pveUrl).host} (cluster sandbox).`)
    expect(report.text).toMatch(new RegExp(`Server\\s+${sandbox.pveUrl.replace(/[.]/g, '\\.')}`))
    expect(report.text).toMatch(/Cluster\s+sandbox/)
    expect(report.text).toMatch(/User\s+alice@cli/)
    expect(report.text).toContain('You can close this tab and return to the terminal.')
    // An inline icon: the browser asks the listener for nothing else (no /favicon.ico 404 in its log).
    expect(report.favicon).toBe('data:image/svg+xml,')
    expect(report.failedResponses).toEqual([])
    // Neither the IdP's pages nor ours load anything from elsewhere.
    expect(report.refused).toEqual([])
    await expectPng(join(outputDir, 'idp-sign-in.png'))
    await expectPng(join(outputDir, 'callback-page.png'))
  }, 60_000)

  test('Cancel at the IdP: Chromium shows why on the callback page, pve-login exits 5', async () => {
    const {outcome, report, outputDir} = await loginWithChromium('cancel', {SIGN_IN_ACTION: 'deny'})
    expect({code: outcome.code, stdout: outcome.stdout}).toEqual({code: 5, stdout: ''})
    expect(outcome.stderr).toMatch(/The identity provider refused the sign-in: access_denied/)
    expect(report.heading).toBe('Sign-in refused by the identity provider')
    expect(report.text).toMatch(/The identity provider answered: access_denied/)
    expect(report.favicon).toBe('data:image/svg+xml,')
    expect(report.failedResponses).toEqual([])
    expect(report.refused).toEqual([])
    await expectPng(join(outputDir, 'callback-page.png'))
  }, 60_000)
})
