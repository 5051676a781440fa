/**
 * Waiting for the browser, on a real terminal (a pty through util-linux script, test/helpers/pty.ts) and without
 * one. On a terminal the paste route is open whatever happened to the browser, what is typed stays on the prompt
 * line (no spinner draws over it), and the countdown shows in every mode. Without a terminal, no browser and no
 * fixed port, the login fails at once with exit 3. Run `npm run build` first.
 */
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {LOAD_RECORDER, makeTempDir, readLoadRecord, removeDir, runCli, seedLogin} from './helpers/cli.js'
import {hasScript, plainScreen, startCliOnPty} from './helpers/pty.js'
import {startSandboxProcess, type SandboxProcess} from './helpers/sandbox.js'
import {followStartUrl, signInAtIdp} from './sandbox/idp-sign-in.js'

let sandbox: SandboxProcess
let scratch: string
let cases = 0

beforeAll(async () => {
  ;[sandbox, scratch] = await Promise.all([startSandboxProcess(), makeTempDir('pve-login-terminal-')])
})

afterAll(async () => {
  await sandbox?.stop()
  if (scratch) await removeDir(scratch)
})

/** A fresh PVE_LOGIN_HOME with the file store, and no display (so only BROWSER decides whether a browser opens). */
function freshEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  cases += 1
  return {PVE_LOGIN_HOME: `${scratch}/home-${cases}`, PVE_LOGIN_STORE: 'file', ...extra}
}

const connection = () => ['--server', sandbox.pveUrl, '--realm', 'cli', '--fingerprint', sandbox.fingerprint]

/** The IdP URL the CLI printed (the line after "…open this URL:"), read off the terminal. */
const IDP_URL = /open this URL(?: in a browser to sign in)?:\n {2}(\S+)\n/

/** readline redraws its prompt line only on a terminal type that can (not the pty helper's default `dumb`). */
const TERM = 'xterm-256color'

/** yocto-spinner's frames: none may appear while a person can type on the terminal. */
const SPINNER_FRAMES = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

const describeOnPty = hasScript() ? describe : describe.skip

describeOnPty('on a terminal', () => {
  test('a cached env typed at a terminal answers without loading node:tty (whether a login may start is asked only for a login)', async () => {
    const env = freshEnv()
    await seedLogin(sandbox, env['PVE_LOGIN_HOME']!)
    const log = `${env['PVE_LOGIN_HOME']}/loaded.json`
    const cli = startCliOnPty(['env', '--shell', 'sh'], {env: {...env, BUILTIN_LOG: log, NODE_OPTIONS: `--require ${JSON.stringify(LOAD_RECORDER)}`}})
    const outcome = await cli.finished
    expect({code: outcome.code, output: outcome.output}).toEqual({code: 0, output: expect.stringContaining('PROXMOX_VE_AUTH_TICKET=')})
    const {builtins} = await readLoadRecord(log)
    // The recorder ran: the code cache's loader is there.
    expect(builtins).toContain('NativeModule vm')
    expect(builtins.filter((name) => name === 'NativeModule tty' || name === 'NativeModule net')).toEqual([])
  })

  test('a browser that "opened" but showed nothing (BROWSER=/bin/true): paste the address, the login completes', async () => {
    const cli = startCliOnPty(connection(), {env: freshEnv({BROWSER: '/bin/true'}), term: TERM})
    const [, idpUrl] = await cli.waitForScreen(IDP_URL)
    await cli.waitForScreen(/If that browser cannot reach this machine, paste the address it ends on/)
    await cli.waitForScreen(/Waiting for the browser sign-in \(\d+m( \d+s)? left; Ctrl-C cancels\)\. Or paste the address: /)
    // What is shown after a browser opened is the one-time start URL; a browser follows its redirect to the IdP.
    const redirect = await signInAtIdp(await followStartUrl(idpUrl!), {username: 'alice', password: 'alice-password'})
    cli.type(`${redirect.href}\r`)
    const outcome = await cli.finished
    expect({code: outcome.code, tail: plainScreen(outcome.output).slice(-400)}).toEqual({code: 0, tail: expect.stringContaining('as alice@cli.')})
    expect(outcome.output).not.toMatch(SPINNER_FRAMES)
  })

  test('--no-browser: the countdown ticks on the prompt line, and typed text stays after it instead of in a spinner', async () => {
    const cli = startCliOnPty([...connection(), '--no-browser'], {env: freshEnv(), term: TERM})
    await cli.waitForScreen(/Open this URL in a browser to sign in:/)
    await cli.waitForScreen(/\(5m left; Ctrl-C cancels\)\. Or paste the address: /)
    cli.type('abc')
    // The countdown moves on (4m 59s, …) and each redraw carries what was typed.
    await cli.waitForScreen(/\(4m 5\ds left; Ctrl-C cancels\)\. Or paste the address: abc/)
    cli.type('\x03')
    const outcome = await cli.finished
    expect(outcome.code).toBe(130)
    expect(outcome.output).not.toMatch(SPINNER_FRAMES)
    expect(plainScreen(outcome.output)).toMatch(/Login cancelled\./)
  })

  test('a wrong paste is explained above the prompt, and the prompt comes back', async () => {
    const cli = startCliOnPty([...connection(), '--no-browser'], {env: freshEnv(), term: TERM})
    await cli.waitForScreen(/Or paste the address: /)
    cli.type('http://example.com/x\r')
    await cli.waitForScreen(/That is not this login's callback: That address is for host example\.com, not this login;[^\n]*\n[^\n]*Or paste the address: /)
    cli.type('\x03')
    expect((await cli.finished).code).toBe(130)
  })
})

describe('without a terminal', () => {
  test('stdin at its end, no browser, a random port: exit 3 at once with the reason, instead of waiting 5 minutes', async () => {
    const outcome = await runCli([...connection(), '--no-browser'], {env: freshEnv()})
    expect({code: outcome.code, stdout: outcome.stdout}).toEqual({code: 3, stdout: ''})
    expect(outcome.stderr).toMatch(/^pve-login: The sign-in has no way back here: no browser was opened on this machine, the input to paste its address into has ended \(not a terminal\), and the listening port is random\.\n {2}hint: .*ssh -L PORT:127\.0\.0\.1:PORT/m)
    // It did not wait for the timeout: the login never got as far as a callback.
    expect(outcome.stderr).not.toMatch(/No sign-in arrived/)
  })
})
