import {Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {LoginProgressView} from '../cli/login-progress.js'
import {PastePrompt} from '../cli/paste-prompt.js'
import {InvalidInputError} from '../errors.js'
import {loginResultJson, loginSummary} from '../cli/login-summary.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags, jsonFlag} from './flags.js'

export default class Login extends PveLoginCommand {
  static override summary = 'Log in to PVE through an OpenID realm in your browser, and keep the ticket for later tools.'

  static override description = `Opens your browser at the realm's identity provider and waits on 127.0.0.1 for the redirect back (RFC 8252
loopback flow). PVE then exchanges the code and issues a ticket, valid for 2 hours and renewed silently by later
commands. The server, realm and TLS pin are remembered, so next time plain \`pve-login\` is enough.

The realm's identity provider must accept http://127.0.0.1:<any port>/callback as a redirect URI of a public
client (no client secret): see docs/login.md. Exit codes: 0 ok, 2 usage, 4 TLS, 5 PVE refused the login,
6 timed out, 7 server unreachable, 130 interrupted.`

  static override examples = [
    {description: 'First login: name the server and realm', command: '<%= config.bin %> --server pve.example.com --realm entra-cli'},
    {description: 'Later logins reuse the remembered server and realm', command: '<%= config.bin %>'},
    {description: 'A self-signed cluster: pin its certificate (`pvenode cert info` on a node shows the SHA-256)', command: '<%= config.bin %> --server 10.0.0.5 --realm cli --fingerprint AB:CD:…'},
    {description: 'Over SSH: print the URL, then paste the address the browser ends on', command: '<%= config.bin %> --no-browser'},
    {description: 'An IdP that wants exact redirect URIs: register these ports and use them', command: '<%= config.bin %> --port 8400,8401'},
  ]

  static override flags = {
    ...connectionFlags,
    port: Flags.string({
      helpValue: 'N[,N...]',
      description: 'Listen on these fixed ports, tried in order, instead of a random free one (for IdPs that match redirect URIs exactly).',
    }),
    'redirect-host': Flags.option({
      options: ['127.0.0.1', 'localhost'] as const,
      default: '127.0.0.1' as const,
      description: 'Host name in the redirect URL sent to the IdP. The listener always binds 127.0.0.1.',
    })(),
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
    const {login} = await import('../session/get-session.js')
    const progress = new LoginProgressView(this.io, {browserRequested: flags.browser})
    // An explicit login always offers the paste, even when stdin is a pipe (a script feeding the address).
    const paste = new PastePrompt(true, this.io)
    try {
      const session = await login({
        ...this.connectionOptions(flags),
        ports: parsePorts(flags.port),
        redirectHost: flags['redirect-host'],
        loginNode: flags['login-node'],
        timeoutMs: flags.timeout * 1000,
        openBrowser: flags.browser ? undefined : false,
        browserCommand: flags['browser-command'],
        pasteInput: paste.input,
        onProgress: paste.watch(progress.handle),
      })
      progress.stop()
      const result = {json: loginResultJson(session, {includeTicket: flags['include-ticket']}), compactJson: true, report: loginSummary(session, this.io.now())}
      await session.close()
      return result
    } finally {
      progress.stop()
      paste.finish()
    }
  }
}

function parsePorts(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined
  const ports = text.split(',').map((part) => part.trim())
  if (ports.some((port) => !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new InvalidInputError(`--port ${text} is not a list of ports.`, {hint: 'Give one port or several separated by commas, e.g. --port 8400 or --port 8400,8401.'})
  }
  return ports.map(Number)
}
