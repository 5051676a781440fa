/**
 * `--help` is printed from the texts the build had oclif render (src/cli/pre-rendered-help.ts, scripts/help-text.js),
 * without loading oclif, and must be exactly what oclif prints. OCLIF_COLUMNS=80 (the width of the rendered texts)
 * sends the same argv to oclif itself, so each row compares the two. Needs `npm run build` first.
 */
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, test} from '@jest/globals'

import {REPOSITORY_ROOT, runCli} from './helpers/cli.js'
import {helpTextName} from '../src/cli/pre-rendered-help.js'

const MODULE_LOG_HOOKS = pathToFileURL(join(REPOSITORY_ROOT, 'test', 'fixtures', 'module-log', 'register.mjs')).href

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pve-login-help-'))
})
afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
})

async function help(args: string[], env: Record<string, string> = {}): Promise<{code: number | null; stdout: string; stderr: string; oclif: boolean}> {
  const log = join(scratch, `modules-${Math.random().toString(36).slice(2)}.log`)
  await writeFile(log, '')
  const run = await runCli(args, {nodeArgs: ['--import', MODULE_LOG_HOOKS], env: {PVE_LOGIN_HOME: scratch, RESOLVE_LOG: log, ...env}})
  return {...run, oclif: (await readFile(log, 'utf8')).includes('/@oclif/')}
}

describe('pre-rendered help', () => {
  test.each([[['--help']], [['-h']], [['env', '--help']], [['ticket', '-h']], [['status', '--help']], [['api', '--help']], [['login', '--help']], [['exec', '--help']]])(
    '%j prints exactly what oclif prints, without loading oclif',
    async (args) => {
      const fast = await help(args)
      const oclif = await help(args, {OCLIF_COLUMNS: '80'})
      expect(oclif.oclif).toBe(true)
      expect(fast.oclif).toBe(false)
      expect(fast.code).toBe(0)
      expect(fast.stdout).toBe(oclif.stdout)
      expect(fast.stdout).toContain('USAGE')
      expect(fast.stderr).toBe(oclif.stderr)
    },
  )

  test('the root help names this machine in its VERSION line, as oclif does', async () => {
    const fast = await help(['--help'])
    expect(fast.stdout).toContain(`${process.platform}-${process.arch} node-${process.version}`)
  })

  test.each([[['env', '--help', '--json']], [['--help', 'env']], [['help']]])('%j is left to oclif', async (args) => {
    const run = await help(args)
    expect(run.oclif).toBe(true)
  })

  test('an unknown command with --help has no rendered text: the command-line check refuses it (exit 2)', async () => {
    const run = await help(['nope', '--help'])
    expect(run.code).toBe(2)
    expect(run.stdout).not.toContain('USAGE')
  })

  test('only plain help requests have a rendered text', () => {
    expect(helpTextName(['--help'])).toBe('root')
    expect(helpTextName(['env', '-h'])).toBe('env')
    expect(helpTextName(['env', '--shell', 'sh', '--help'])).toBeUndefined()
    expect(helpTextName(['../x', '--help'])).toBeUndefined()
  })
})
