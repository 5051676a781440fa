import Login from './login.js'

/** The command table (oclif's explicit discovery): ids to command classes. */
export const COMMANDS = {
  login: Login,
}
