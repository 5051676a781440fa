import {Args, Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {EXIT} from '../cli/exit-codes.js'
import {connectionFlags, sessionFlags} from './flags.js'
import {SessionCommand} from './session-command.js'

export default class Api extends SessionCommand {
  static override summary = 'One authenticated PVE API call; prints its data as JSON.'

  static override description = [
    `Sends METHOD PATH to /api2/json with the cached ticket (renewed or logged in first, as for env), plus the CSRFPreventionToken header on writes, and prints PVE's "data" as indented JSON (--raw: one line). Parameters go in the query string for GET and form-encoded in the body otherwise, as PVE expects. PATH may be written /nodes, nodes or /api2/json/nodes, and may carry a query string. The method is GET unless -X says otherwise, also when -f is given (PVE has many GET calls with parameters).`,
    `When PVE refuses, the message and status it sent are shown on stderr with a hint for that status (400 parameters, 401 ticket, 403 permission, 404 object, 501 no such call, 5xx the node), and api exits 1 (3 when a login is needed).`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]

  static override examples = [
    {description: 'The nodes of the cluster', command: '<%= config.bin %> api /nodes'},
    {description: 'VMs only, names with jq', command: "<%= config.bin %> api cluster/resources -f type=vm | jq -r '.[].name'"},
    {description: 'Clone VM 9000 to 123 (a write: the CSRF token is sent for you)', command: '<%= config.bin %> api -X POST /nodes/pve1/qemu/9000/clone -f newid=123 -f name=web1'},
    {description: 'Compact output', command: '<%= config.bin %> api /version --raw'},
  ]

  static override args = {
    path: Args.string({required: true, description: 'API path below /api2/json, e.g. /nodes/pve1/qemu'}),
  }

  static override flags = {
    ...connectionFlags,
    ...sessionFlags,
    method: Flags.string({char: 'X', helpValue: 'METHOD', default: 'GET', description: 'HTTP method: GET, POST, PUT or DELETE.'}),
    field: Flags.string({
      char: 'f',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'KEY=VALUE',
      description: 'A parameter (repeatable; a repeated key is sent several times). Booleans are 1 or 0 in PVE.',
    }),
    raw: Flags.boolean({description: 'Print the JSON on one line.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Api)
    const {apiResult} = await import('../cli/api-result.js')
    return apiResult(args.path, flags, this.abort.signal, this.io)
  }
}
