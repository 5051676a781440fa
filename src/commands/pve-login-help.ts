import {Help, type Command} from '@oclif/core'

import {describeExitCodes, EXIT, type ExitCodeEntry} from '../cli/exit-codes.js'

/** A command's exit codes, declared as `static exitCodes` on the class (oclif copies it into the manifest). */
type WithExitCodes = Command.Loadable & {exitCodes?: ExitCodeEntry[]}

/**
 * pve-login's help (package.json oclif.helpClass). The root help leads with what most people came for, the login
 * (`pve-login --server … --realm …`, which oclif's `pve-login [COMMAND]` hid), then examples, commands, exit codes
 * and where the guides are. Each command's help ends with the exit codes it can return.
 */
export default class PveLoginHelp extends Help {
  override formatRoot(): string {
    const bin = this.config.bin
    return [
      `${bin}: log in to Proxmox VE through an OpenID Connect realm, and hand the ticket to later tools.`,
      this.section('VERSION', this.config.userAgent),
      this.section(
        'USAGE',
        [
          `$ ${bin} --server HOST --realm REALM   log in (the same as \`${bin} login …\`)`,
          `$ ${bin} COMMAND [FLAGS]`,
        ].join('\n'),
      ),
      this.section(
        'EXAMPLES',
        [
          'First login; server and realm are remembered, so later plain `pve-login` is enough',
          `  $ ${bin} --server pve.example.com --realm entra-cli`,
          'Variables for Terraform, Packer or curl in this shell',
          `  $ eval "$(${bin} env)"`,
          'One command with the ticket in its environment only',
          `  $ ${bin} exec -- terraform apply`,
          'One API call, printed as JSON',
          `  $ ${bin} api /nodes`,
          'Why was the login refused?',
          `  $ ${bin} docs troubleshooting`,
        ].join('\n'),
      ),
    ].join('\n\n')
  }

  override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const codes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, EXIT.refused, EXIT.timeout, EXIT.unreachable, EXIT.interrupted]
    this.log(this.section('EXIT CODES', describeExitCodes(codes).join('\n')))
    this.log('')
    this.log(
      this.section(
        'MORE',
        [
          `$ ${this.config.bin} COMMAND --help   flags, examples and exit codes of one command`,
          `$ ${this.config.bin} docs             guides installed with ${this.config.bin} (IdP setup, troubleshooting)`,
        ].join('\n'),
      ),
    )
    this.log('')
  }

  override formatCommand(command: Command.Loadable): string {
    const text = super.formatCommand(command)
    const codes = (command as WithExitCodes).exitCodes
    if (!codes?.length) return text
    return `${text}\n\n${this.section('EXIT CODES', describeExitCodes(codes).join('\n'))}`
  }
}
