import type {CliIO} from './io.js'

/**
 * What a command produced, for the one printer below to put on the right stream: stdout carries only the payload
 * (text, or the JSON form with --json), stderr what a person reads.
 */
export interface CommandResult {
  /** stderr, before the payload, in both modes: reports that come first (refresh's, logout's, env's notes). */
  notes?: readonly string[]
  /** stdout without --json: the payload (a script, a ticket, a table, API data). */
  text?: string
  /** stdout with --json, rendered indented (compact with compactJson). */
  json?: unknown
  compactJson?: boolean
  /** stderr without --json only: what a person reads instead of the JSON (login's summary). */
  report?: string
  /** stderr, after the payload, in both modes (status's "log in with" hint, exec's "command not found"). */
  hint?: string
  /** Default 0. */
  exitCode?: number
}

/** Prints a result as text or JSON and returns its exit code. */
export function printResult(io: CliIO, result: CommandResult, options: {json: boolean}): number {
  for (const note of result.notes ?? []) io.info(note)
  if (options.json && result.json !== undefined) {
    io.stdout.write(result.compactJson ? `${JSON.stringify(result.json)}\n` : `${JSON.stringify(result.json, null, 2)}\n`)
  } else if (result.text !== undefined) {
    io.stdout.write(result.text)
  }
  if (!options.json && result.report !== undefined) io.info(result.report)
  if (result.hint !== undefined) io.info(result.hint)
  return result.exitCode ?? 0
}
