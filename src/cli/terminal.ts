/** What the CLI says on stderr goes through the IO (src/cli/io.ts: `info`, `warn`); this is the one shared text. */
export const INSECURE_WARNING =
  '--insecure: the server certificate is not checked, so anyone on the network path can read your login and ticket. Prefer --fingerprint or --ca-file.'
