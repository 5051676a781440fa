import {Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {envResult} from '../cli/script-output.js'
import {SHELL_FORMATS} from '../format/shell.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'
import {apiTokenFlags, connectionFlags, consumerFlags, sessionFlags} from './flags.js'

export default class Env extends PveLoginCommand {
  static override summary = 'Shell code that sets PROXMOX_VE_* to a valid ticket, for eval.'

  static override description = [
    `Writes only the variable assignments to stdout, so \`eval "$(pve-login env)"\` never evaluates a message; warnings and notes go to stderr. The cached ticket is used while it has --min-valid left, renewed silently otherwise, and only when a person is at the terminal (or with --login) does a browser login start. In a background job without a usable ticket, env exits 3 at once and opens nothing.`,
    `The default variables are PROXMOX_VE_ENDPOINT, PROXMOX_VE_AUTH_TICKET and PROXMOX_VE_CSRF_PREVENTION_TOKEN (read by the bpg Terraform provider) plus PVE_LOGIN_USERNAME and PVE_LOGIN_EXPIRES_AT; --for picks the names other tools read (\`pve-login docs output-formats\`). The shell is guessed from $SHELL (PowerShell/cmd on Windows); --shell overrides it. Prefer \`pve-login exec -- CMD\`, which keeps the ticket out of your shell.`,
    `With --api-token, the variables carry a short-lived PVE API token instead of the ticket, for tools that run longer than a ticket's 2 hours and never renew it. The token (id pve-login-<random>, lifetime --api-token-ttl, default 8h, at most 7d) is kept in the store with the session and reused while it has --min-valid left; \`pve-login logout\` deletes it at PVE. It has your own rights (privsep off) unless --privsep.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, [EXIT.refused, 'PVE or the identity provider refused the login, or PVE refused the API token'], EXIT.timeout, EXIT.unreachable, EXIT.interrupted] as const

  static override examples = [
    {description: 'Set the variables in the current sh/bash/zsh', command: 'eval "$(<%= config.bin %> env)"'},
    {description: 'fish', command: '<%= config.bin %> env --shell fish | source'},
    {description: 'PowerShell', command: '<%= config.bin %> env --shell powershell | Invoke-Expression'},
    {description: 'Variables for the Telmate provider and Ansible, valid for at least 90 more minutes', command: 'eval "$(<%= config.bin %> env --for telmate,ansible --min-valid 90m)"'},
    {description: 'A .env file for docker compose', command: '<%= config.bin %> env --shell dotenv > .env'},
    {description: 'In CI: never open a browser, fail with exit 3 instead', command: '<%= config.bin %> env --no-login --shell json'},
    {description: 'An API token for a Telmate Terraform run longer than 2 hours', command: 'eval "$(<%= config.bin %> env --api-token --for telmate)"'},
  ]

  static override flags = {
    ...connectionFlags,
    ...sessionFlags,
    ...consumerFlags,
    ...apiTokenFlags,
    shell: Flags.option({
      options: SHELL_FORMATS,
      description: 'Syntax of the output. Default: guessed from $SHELL (PSModulePath on Windows), else sh.',
    })(),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Env)
    return envResult(flags, this.abort.signal, this.io)
  }
}
