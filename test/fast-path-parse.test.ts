/**
 * The fast path (src/cli/fast-path.ts) and oclif must read the same argv alike: for every row, either both give the
 * same flags, or the fast path steps aside (undefined) and oclif answers. The flags of env and ticket come from
 * oclif.manifest.json (`npm run build` writes it), as in bin/run.cjs.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, test} from '@jest/globals'
import {Flags, Parser} from '@oclif/core'

import {parseArgv, parseFastPathFlags, parseFlags, type CommandShape, type ManifestFlag} from '../src/cli/fast-path.js'
import {COMMANDS} from '../src/commands/index.js'
import {REPOSITORY_ROOT} from './helpers/cli.js'

type Flag = Parameters<typeof Parser.parse>[1]['flags']

/** oclif's answer: the parsed flags without undefined values, or 'error' when it refuses the argv. */
async function oclifFlags(flags: Flag, args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown> | 'error'> {
  // oclif reads env-backed flags from process.env.
  const saved = process.env
  process.env = env
  try {
    const parsed = await Parser.parse(args, {flags, strict: true})
    return Object.fromEntries(Object.entries(parsed.flags).filter(([, value]) => value !== undefined))
  } catch {
    return 'error'
  } finally {
    process.env = saved
  }
}

/** 'same': the fast path answers as oclif does (which accepts the argv); 'defer': the fast path leaves it to oclif. */
function expectParity(fast: Row['fast'], fastAnswer: unknown, oclif: unknown): void {
  if (fast === 'same') {
    expect(oclif).not.toBe('error')
    expect(fastAnswer).toEqual(oclif)
  } else {
    expect(fastAnswer).toBeUndefined()
  }
}

interface Row {
  args: string[]
  env?: Record<string, string>
  /** 'same': the fast path answers, as oclif does. 'defer': the fast path leaves it to oclif. */
  fast: 'same' | 'defer'
}

const ROWS: Record<'env' | 'ticket' | 'status', Row[]> = {
  env: [
    {args: [], fast: 'same'},
    {args: ['--shell', 'fish'], fast: 'same'},
    {args: ['--shell=json', '--for', 'telmate,ansible'], fast: 'same'},
    {args: ['--for', 'bpg', '--for', 'packer'], fast: 'same'},
    {args: ['-s', 'pve.example.com', '-r', 'cli', '--insecure'], fast: 'same'},
    {args: ['--min-valid', '90m', '--no-login'], fast: 'same'},
    {args: ['--login', '--browser-command', 'firefox --new-window'], fast: 'same'},
    {args: [], env: {PVE_LOGIN_SERVER: 'https://pve.example.com', PVE_LOGIN_REALM: 'cli', PVE_LOGIN_STORE: 'file'}, fast: 'same'},
    {args: ['--server', 'flag.example.com'], env: {PVE_LOGIN_SERVER: 'env.example.com'}, fast: 'same'},
    {args: [], env: {PVE_LOGIN_STORE: 'nowhere'}, fast: 'defer'},
    {args: ['--shell', 'tcsh'], fast: 'defer'},
    {args: ['--for', 'terraform'], fast: 'defer'},
    {args: ['--login', '--no-login'], fast: 'defer'},
    {args: ['--bogus'], fast: 'defer'},
    {args: ['extra-word'], fast: 'defer'},
    {args: ['--server'], fast: 'defer'},
  ],
  ticket: [
    {args: [], fast: 'same'},
    {args: ['--json'], fast: 'same'},
    {args: ['--json', '--min-valid', '30m', '--profile', 'lab'], fast: 'same'},
    {args: ['--fingerprint', 'AB:CD', '--ca-file', '/tmp/ca.pem', '--store', 'none'], fast: 'same'},
    {args: ['--store', 'cloud'], fast: 'defer'},
    {args: ['--shell', 'sh'], fast: 'defer'},
  ],
  status: [
    {args: [], fast: 'same'},
    {args: ['--json', '--store', 'file'], fast: 'same'},
    {args: ['-s', 'pve.example.com', '-r', 'cli', '--profile', 'lab'], fast: 'same'},
    {args: [], env: {PVE_LOGIN_SERVER: 'https://pve.example.com', PVE_LOGIN_STORE: 'keychain'}, fast: 'same'},
    {args: ['--store', 'cloud'], fast: 'defer'},
    {args: ['--no-login'], fast: 'defer'},
    {args: ['extra-word'], fast: 'defer'},
  ],
}

describe.each(['env', 'ticket', 'status'] as const)('%s: the fast path parses as oclif does', (id) => {
  test.each(ROWS[id].map((row) => ({env: {}, ...row})))('$args with env $env', async ({args, env, fast}) => {
    expect(existsSync(join(REPOSITORY_ROOT, 'oclif.manifest.json'))).toBe(true)
    expectParity(fast, parseFastPathFlags(id, [...args], env), await oclifFlags(COMMANDS[id].flags as Flag, [...args], env))
  })
})

describe('env-backed boolean flags', () => {
  // No boolean flag of env or ticket reads the environment today; a pair defined alike stands in for the next one.
  const manifest: ManifestFlag[] = [{name: 'quiet', type: 'boolean', env: 'TEST_QUIET', allowNo: false}]
  const flags = {quiet: Flags.boolean({env: 'TEST_QUIET'})} as Flag

  test.each([
    [{}, []],
    [{TEST_QUIET: '1'}, []],
    [{TEST_QUIET: 'true'}, []],
    [{TEST_QUIET: 'YES'}, []],
    [{TEST_QUIET: 'y'}, []],
    [{TEST_QUIET: '0'}, []],
    [{TEST_QUIET: 'false'}, []],
    [{TEST_QUIET: 'no'}, []],
    [{TEST_QUIET: 'anything'}, []],
    [{TEST_QUIET: '0'}, ['--quiet']],
  ] as [Record<string, string>, string[]][])('%j %j', async (env, args) => {
    const oclif = await oclifFlags(flags, [...args], env)
    expect(oclif).not.toBe('error')
    expect(parseFlags(manifest, [...args], env)).toEqual(oclif)
  })
})

/**
 * api takes its PATH argument as well: both parsers must find the same flags and the same argument. The shape is
 * the build's table (dist/cli/fast-path-flags.json), which has what the manifest lacks: -f takes one value each time.
 */
describe('api: the fast path parses flags and PATH as oclif does', () => {
  const tableFile = join(REPOSITORY_ROOT, 'dist', 'cli', 'fast-path-flags.json')
  const rows: Row[] = [
    {args: ['/version'], fast: 'same'},
    {args: ['nodes', '--raw'], fast: 'same'},
    {args: ['-X', 'POST', '/nodes/pve1/qemu/9000/clone', '-f', 'newid=123', '-f', 'name=web1'], fast: 'same'},
    {args: ['-f', 'type=vm', 'cluster/resources'], fast: 'same'},
    {args: ['--method=PUT', '/x', '--field', 'a=1'], fast: 'same'},
    {args: ['--', '/version'], fast: 'same'},
    {args: ['/version'], env: {PVE_LOGIN_SERVER: 'pve.example.com', PVE_LOGIN_REALM: 'cli'}, fast: 'same'},
    {args: [], fast: 'defer'},
    {args: ['/a', '/b'], fast: 'defer'},
    {args: ['/a', '-X'], fast: 'defer'},
    {args: ['/a', '--bogus'], fast: 'defer'},
    {args: ['/a', '--shell', 'sh'], fast: 'defer'},
  ]
  test.each(rows.map((row) => ({env: {}, ...row})))('$args with env $env', async ({args, env, fast}) => {
    expect(existsSync(tableFile)).toBe(true)
    const shape = (JSON.parse(readFileSync(tableFile, 'utf8')) as Record<string, CommandShape>)['api']!
    const fastArgv = parseArgv(shape, [...args], env)
    const saved = process.env
    process.env = env
    let oclif: {flags: Record<string, unknown>; args: string[]} | 'error'
    try {
      const parsed = await Parser.parse([...args], {flags: COMMANDS.api.flags as Flag, args: COMMANDS.api.args, strict: true})
      oclif = {flags: Object.fromEntries(Object.entries(parsed.flags).filter(([, value]) => value !== undefined)), args: [parsed.args['path'] as string]}
    } catch {
      oclif = 'error'
    } finally {
      process.env = saved
    }
    expectParity(fast, fastArgv, oclif)
  })
})

/**
 * login runs on the fast path too (the time to the browser is felt). Its shape is the build's table, which has what
 * the manifest lacks: --timeout is an integer from 10 to 590, and --browser is true unless --no-browser.
 */
describe('login: the fast path parses as oclif does', () => {
  const tableFile = join(REPOSITORY_ROOT, 'dist', 'cli', 'fast-path-flags.json')
  const rows: Row[] = [
    {args: [], fast: 'same'},
    {args: ['--server', 'pve.example.com', '--realm', 'entra-cli'], fast: 'same'},
    {args: ['--no-browser', '--port', '8400,8401', '--redirect-host', 'localhost'], fast: 'same'},
    {args: ['--timeout', '60', '--json', '--include-ticket'], fast: 'same'},
    {args: ['--timeout=590', '--browser-command', 'firefox --private-window'], fast: 'same'},
    {args: ['--login-node', 'https://node2.example.com:8006', '--fingerprint', 'AB:CD'], fast: 'same'},
    {args: [], env: {PVE_LOGIN_SERVER: 'pve.example.com', PVE_LOGIN_REALM: 'cli'}, fast: 'same'},
    {args: ['--timeout', '5'], fast: 'defer'},
    {args: ['--timeout', '591'], fast: 'defer'},
    {args: ['--timeout', 'soon'], fast: 'defer'},
    {args: ['--timeout', '1e2'], fast: 'defer'},
    {args: ['--redirect-host', 'example.com'], fast: 'defer'},
    {args: ['--bogus'], fast: 'defer'},
    {args: ['extra-word'], fast: 'defer'},
  ]
  test.each(rows.map((row) => ({env: {}, ...row})))('$args with env $env', async ({args, env, fast}) => {
    expect(existsSync(tableFile)).toBe(true)
    const shape = (JSON.parse(readFileSync(tableFile, 'utf8')) as Record<string, CommandShape>)['login']!
    expectParity(fast, parseArgv(shape, [...args], env)?.flags, await oclifFlags(COMMANDS.login.flags as Flag, [...args], env))
  })

  test('from the manifest alone (no build table), login is left to oclif: the bounds of --timeout are not in it', () => {
    expect(parseFastPathFlags('login', [], {})).toBeUndefined()
  })
})
