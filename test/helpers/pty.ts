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
  /** Like waitFor, on what the terminal shows: escape sequences (colour, cursor moves, line clears) removed. */
  waitForScreen(pattern: RegExp): Promise<RegExpExecArray>
  /** Types a line (Enter included). */
  typeLine(text: string): void
  /** Types keys as they are, without Enter: `abc`, `\x03` (Ctrl-C). */
  type(keys: string): void
  finished: Promise<{code: number | null; output: string}>
}

/** Terminal output as text: colour, cursor moves and line clears removed, carriage returns dropped. */
export function plainScreen(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to remove terminal control sequences
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
}

/**
 * `term`: the TERM the CLI sees (default `dumb`, which keeps output plain); line editing that redraws (readline's
 * prompt) needs a real one such as `xterm-256color`.
 */
export function startCliOnPty(args: readonly string[], options: {env?: Record<string, string | undefined>; killAfterMs?: number; term?: string} = {}): PtyCli {
  const command = [process.execPath, RUN_JS, ...args].map(shellQuote).join(' ')
  // -q: no start/done lines; -e: exit with the CLI's code; -f: flush as it comes; the typescript file is not wanted.
  const child = spawn(SCRIPT, ['-q', '-e', '-f', '-c', command, '/dev/null'], {cwd: REPOSITORY_ROOT, env: cleanEnv({...options.env, SHELL: '/bin/sh', TERM: options.term ?? 'dumb'})})
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
  const waitOn = (text: () => string) => (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text())
        if (match) {
          watchers.delete(check)
          resolve(match)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          watchers.delete(check)
          reject(new Error(`the CLI on the pty ended before its output matched ${pattern}:\n${text()}`))
        }
      }
      watchers.add(check)
      check()
    })
  return {
    output: () => output,
    waitForScreen: waitOn(() => plainScreen(output)),
    type: (keys) => void child.stdin.write(keys),
    waitFor: waitOn(() => output),
    typeLine: (text) => void child.stdin.write(`${text}\r`),
    finished,
  }
}
