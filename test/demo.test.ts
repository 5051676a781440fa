/**
 * `npm run demo` (after its build step): it runs to the end with the robot browser, shows env and exec at work,
 * ends with what to do on a real cluster, prints no warning a person would have to ignore, and every command it
 * prints is valid shell (it is run through /bin/sh as printed). Run `npm run build` first.
 */
import {spawn, spawnSync} from 'node:child_process'
import {expect, test} from '@jest/globals'

import {cleanEnv, REPOSITORY_ROOT} from './helpers/cli.js'

function runDemo(): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/sandbox/demo.ts'], {
      cwd: REPOSITORY_ROOT,
      env: cleanEnv({PVE_LOGIN_DEMO_ROBOT: '1'}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

test('the demo logs in, uses env and exec, ends with next steps, and prints no warnings', async () => {
  const demo = await runDemo()
  const all = demo.stderr + demo.stdout
  expect({code: demo.code, tail: demo.stderr.slice(-600)}).toEqual({code: 0, tail: expect.stringContaining('pve-login doctor --server')})

  // No oidc-provider runtime notice, no Node warning, nothing a person must learn to ignore.
  expect(all).not.toMatch(/warn|Unsupported runtime|ExperimentalWarning/i)

  const commands = demo.stderr.split('\n').filter((line) => line.startsWith('$ ')).map((line) => line.slice(2))
  expect(commands).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^pve-login --server https:\/\/127\.0\.0\.1:\d+ --realm cli --fingerprint [0-9A-F:]+ --browser-command '\/.+'$/),
      expect.stringMatching(/^eval "\$\(pve-login env\)" && /),
      expect.stringMatching(/^pve-login exec -- sh -c '.*curl /),
    ]),
  )
  // Pastes as is: each line is valid shell syntax (the demo ran them through /bin/sh exactly as printed).
  for (const command of commands) expect({command, status: spawnSync('/bin/sh', ['-n', '-c', command]).status}).toEqual({command, status: 0})

  expect(demo.stdout).toMatch(/alice@cli at https:\/\/127\.0\.0\.1:\d+ until \d{4}-\d\d-\d\dT/)
  // curl got PVE's answer through `exec`.
  expect(demo.stdout).toContain('"node":"pve1"')
  expect(demo.stderr).toMatch(/docs\/setup/)
}, 120_000)
