/** What the CLI writes to stderr, in one voice. stdout is reserved for the payload (env, ticket, --json). */
export function warn(message: string): void {
  process.stderr.write(`pve-login: warning: ${message}\n`)
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** Both ends are terminals: a person is there to use a browser and read progress. */
export function isInteractiveTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

export const INSECURE_WARNING =
  '--insecure: the server certificate is not checked, so anyone on the network path can read your login and ticket. Prefer --fingerprint or --ca-file.'
