import type {SessionRecord} from '../session/session-record.js'
import type {LoginOptions} from './login-flow.js'

/**
 * The package's `browserLogin`: the login flow (the loopback HTTP server, the browser launcher, readline, crypto)
 * loads on first use, so importing the library stays cheap for scripts that only read a cached ticket (measured:
 * importing it with the package loaded node:http, node:child_process and node:readline on every `getSession()`).
 */
export async function browserLogin(options: LoginOptions): Promise<SessionRecord> {
  const {browserLogin: login} = await import('./login-flow.js')
  return login(options)
}
