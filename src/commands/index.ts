import Api from './api.js'
import ApiTokens from './api-tokens.js'
import Docs from './docs.js'
import Doctor from './doctor.js'
import Env from './env.js'
import Exec from './exec.js'
import Login from './login.js'
import Logout from './logout.js'
import Refresh from './refresh.js'
import Status from './status.js'
import Ticket from './ticket.js'

/** The command table (oclif's explicit discovery): ids to command classes. */
export const COMMANDS = {
  api: Api,
  'api-tokens': ApiTokens,
  docs: Docs,
  doctor: Doctor,
  env: Env,
  exec: Exec,
  login: Login,
  logout: Logout,
  refresh: Refresh,
  status: Status,
  ticket: Ticket,
}
