import {Flags} from '@oclif/core'

import type {CommandResult} from '../cli/command-result.js'
import {doctor} from '../cli/doctor-run.js'
import {EXIT} from '../cli/exit-codes.js'
import {parsePorts} from '../cli/ports-option.js'
import {PveLoginCommand} from './base-command.js'
import {connectionFlags, jsonFlag, loopbackFlags} from './flags.js'

export default class Doctor extends PveLoginCommand {
  static override summary = 'Check what a login through the realm needs, and name each fix.'

  static override description = `Checks, in order: the server and its certificate, the clock, the PVE version (with a cached ticket), the realm,
PVE's auth-url with the loopback redirect, the IdP's discovery document (code flow, PKCE S256, ID-token algorithms
against the PVE version), the IdP's authorization endpoint (does it accept the client and the redirect URI?),
whether the IdP's client is public, and this computer (a loopback port, the keychain, a browser). A check that
fails skips those that depend on it. Every warning and failure carries its fix. Doctor never creates a ticket and
never prints a secret.`

  /** Listed under EXIT CODES in --help. */
  static exitCodes = [[EXIT.ok, 'no check failed (warnings allowed)'], [EXIT.failure, 'a check failed'], EXIT.usage] as const

  static override examples = [
    {description: 'Why does my CLI login fail when the web UI works?', command: '<%= config.bin %> doctor --server pve.example.com --realm entra-cli'},
    {description: 'The failures as JSON', command: "<%= config.bin %> doctor --json | jq -r '.[] | select(.status == \"fail\") | .fix'"},
  ]

  static override flags = {
    ...connectionFlags,
    ...loopbackFlags,
    'browser-command': Flags.string({
      helpValue: 'CMD',
      description: 'The browser command a login would use (checked instead of $BROWSER and the display).',
    }),
    timeout: Flags.integer({min: 1, max: 120, default: 10, helpValue: 'SECONDS', description: 'Limit for each network request.'}),
    ...jsonFlag,
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Doctor)
    const connection = this.connectionOptions(flags)
    const result = await doctor(
      this.io,
      {
        ...connection,
        ports: parsePorts(flags.port),
        redirectHost: flags['redirect-host'],
        browserCommand: flags['browser-command'],
        requestTimeoutMs: flags.timeout * 1000,
      },
      {json: flags.json},
    )
    return {json: result.json, report: result.report, exitCode: result.exitCode}
  }
}
