import {Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {loginResult} from '../cli/login-result.js'
import {EXIT} from '../cli/exit-codes.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags, jsonFlag, loopbackFlags} from './flags.js'

export default class Login extends PveLoginCommand {
  static override summary = 'Log in through a PVE OpenID realm in your browser.'

  static override description = `Opens your browser at the realm's identity provider and waits on 127.0.0.1 for the redirect back (RFC 8252
loopback flow). PVE then exchanges the code and issues a ticket, valid for 2 hours and renewed silently by later
commands. The server, realm and TLS pin are remembered, so next time plain \`pve-login\` is enough.

The realm's identity provider must accept http://127.0.0.1:<any port>/callback as a redirect URI of a public
client (no client secret): \`pve-login docs setup\` has a guide per identity provider, \`pve-login docs login\` the
details. Exit 1 covers a realm PVE cannot use (it fails to reach the IdP's discovery document or keys), exit 3 a
login with no way back: no terminal to paste the address into, no browser here and no fixed --port. Without
--realm (and none remembered) it offers the server's OpenID realms at a terminal. After PVE refused the login it
offers to run \`pve-login doctor\`.`

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]

  static override examples = [
    {description: 'First login: name the server and realm', command: '<%= config.bin %> --server pve.example.com --realm entra-cli'},
    {description: 'Later logins reuse the remembered server and realm', command: '<%= config.bin %>'},
    {description: "First login without knowing the realm: pick one from the server's OpenID realms", command: '<%= config.bin %> --server pve.example.com'},
    {description: 'A self-signed cluster: pin its certificate (`pvenode cert info` on a node shows the SHA-256)', command: '<%= config.bin %> --server 10.0.0.5 --realm cli --fingerprint AB:CD:…'},
    {description: 'Over SSH: print the URL, then paste the address the browser ends on', command: '<%= config.bin %> --no-browser'},
    {description: 'An IdP that wants exact redirect URIs: register these ports and use them', command: '<%= config.bin %> --port 8400,8401'},
  ]

  static override flags = {
    ...connectionFlags,
    ...loopbackFlags,
    'login-node': Flags.string({
      helpValue: 'URL',
      description: 'Send the login to this cluster node instead of --server (a load balancer without sticky sessions splits the two calls PVE needs on one node). The ticket still serves --server.',
    }),
    browser: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Open a browser. --no-browser prints the URL on stderr and accepts the redirected URL pasted on stdin.',
    }),
    // No `env: 'BROWSER'`: the library reads BROWSER itself, as a PATH-like list of commands tried in order, which a
    // flag default would collapse into one command.
    'browser-command': Flags.string({
      helpValue: 'CMD',
      description: 'Command that opens the URL (appended as its last argument; run without a shell). Default: $BROWSER, else the system browser.',
    }),
    timeout: Flags.integer({
      min: 10,
      max: 590,
      default: 300,
      helpValue: 'SECONDS',
      description: "How long to wait for the browser sign-in (PVE forgets a pending login after 10 minutes).",
    }),
    'include-ticket': Flags.boolean({description: 'With --json, include the ticket and CSRF token in the output.'}),
    ...jsonFlag,
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Login)
    return loginResult(flags, this.abort.signal, this.io)
  }
}
