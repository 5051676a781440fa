/**
 * The built CLI on a real terminal: util-linux `script` runs it on a fresh pty (stdin, stdout and stderr all
 * terminals), forwards what the test writes to the pty and copies what the CLI prints to its own stdout. For what
 * only happens at a terminal: prompts and menus. stdout and stderr arrive mixed, as a person would see them.
 */
import {spawn} from 'node:child_process'

import {cleanEnv, REPOSITORY_ROOT, RUN_JS} from './cli.js'

export {hasScript} from './capabilities.js'

const SCRIPT = '/usr/bin/script'

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

export interface PtyCli {
  /** Everything printed so far, line ends normalised to \n. */
  output(): string
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  /** Types a line (Enter included). */
  typeLine(text: string): void
  finished: Promise<{code: number | null; output: string}>
}

export function startCliOnPty(args: readonly string[], options: {env?: Record<string, string | undefined>; killAfterMs?: number} = {}): PtyCli {
  const command = [process.execPath, RUN_JS, ...args].map(shellQuote).join(' ')
  // -q: no start/done lines; -e: exit with the CLI's code; -f: flush as it comes; the typescript file is not wanted.
  const child = spawn(SCRIPT, ['-q', '-e', '-f', '-c', command, '/dev/null'], {cwd: REPOSITORY_ROOT, env: cleanEnv({...options.env, SHELL: '/bin/sh', TERM: 'dumb'})})
  let output = ''
  const watchers = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8').replace(/\r\n?/g, '\n')
    for (const watcher of watchers) watcher()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000)
  const finished = new Promise<{code: number | null; output: string}>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer)
      for (const watcher of watchers) watcher()
      resolve({code, output})
    }),
  )
  return {
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output)
          if (match) {
            watchers.delete(check)
            resolve(match)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(check)
            reject(new Error(`the CLI on the pty ended before its output matched ${pattern}:\n${output}`))
          }
        }
        watchers.add(check)
        check()
      }),
    typeLine: (text) => void child.stdin.write(`${text}\r`),
    finished,
  }
}
