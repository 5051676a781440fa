/**
 * Running `pve-login exec`'s command: stdio inherited, secrets only in its environment, signals passed on, and its
 * exit status turned into ours the way shells do it.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:os'

/** Signals a person or a supervisor sends to stop a job; pve-login passes them on instead of dying alone. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export type ChildOutcome =
  | {kind: 'exited'; code: number}
  | {kind: 'killed'; signal: NodeJS.Signals}
  /** The command could not be started: ENOENT (not found), EACCES (not executable), … */
  | {kind: 'not-started'; errorCode: string; message: string}

export interface RunChildOptions {
  env: NodeJS.ProcessEnv
  /**
   * Whether a SIGINT we receive is passed on. A Ctrl-C typed at a terminal already reaches every process of the
   * foreground job, the child included; passing it on too would deliver it twice, and programs such as terraform
   * treat a second interrupt as "abort now, without cleaning up". So this is false when stdin is a terminal.
   */
  forwardInterrupt: boolean
}

/** Starts `command` and resolves once it has ended (never rejects). */
export function runChild(command: string, args: readonly string[], options: RunChildOptions): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {stdio: 'inherit', env: options.env})
    const forward = (signal: NodeJS.Signals) => {
      if (signal === 'SIGINT' && !options.forwardInterrupt) return
      // The child may already be gone; nothing to pass on then.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    // Installed for the whole run: while a handler exists, the signal no longer ends pve-login itself, so the
    // child is never left running without its parent reporting its status.
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward)
    const done = (outcome: ChildOutcome) => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward)
      resolve(outcome)
    }
    let started = false
    child.once('spawn', () => (started = true))
    // After a successful start, an 'error' (a failed kill, say) is not the end of the child: wait for 'exit'.
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (!started) done({kind: 'not-started', errorCode: error.code ?? 'UNKNOWN', message: error.message})
    })
    child.once('exit', (code, signal) => done(signal ? {kind: 'killed', signal} : {kind: 'exited', code: code ?? 0}))
  })
}

/** The exit status a shell would report: the child's code, 128 + the signal number when killed, 127/126 when it never ran. */
export function exitStatusOf(outcome: ChildOutcome): number {
  switch (outcome.kind) {
    case 'exited':
      return outcome.code
    case 'killed':
      return 128 + (constants.signals[outcome.signal] ?? 0)
    case 'not-started':
      // POSIX shells: 127 "command not found", 126 "found but cannot be executed".
      return outcome.errorCode === 'ENOENT' ? 127 : 126
  }
}
