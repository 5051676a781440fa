import {apiTokenOptions} from '../cli/api-token-options.js'
import type {CommandResult} from '../cli/command-result.js'
import {runWithApiToken} from '../cli/exec-api-token.js'
import {splitExecCommandLine, type ExecCommandLine} from '../cli/exec-command-line.js'
import type {CliIO} from '../cli/io.js'
import {exitStatusOf, runChild} from '../cli/run-child.js'
import {InvalidInputError} from '../errors.js'
import {
  apiTokenVariables,
  competingCredentialWarnings,
  competingWithToken,
  EXEC_MARKER,
  isInsideExec,
  parseConsumer,
  sessionVariables,
} from '../format/environment.js'
import {EXIT} from '../cli/exit-codes.js'
import {RENEW_BEFORE_SECONDS} from '../session/renewal-policy.js'
import {apiTokenFlags, connectionFlags, consumerFlags, sessionFlags} from './flags.js'
import {SessionCommand} from './session-command.js'

export default class Exec extends SessionCommand {
  static override summary = 'Run a command with PROXMOX_VE_* set to a valid PVE ticket.'

  static override description = [
    `Runs CMD with the same variables \`pve-login env\` prints, in its environment only: the ticket never appears on a command line and never enters your shell. stdin, stdout and stderr are the command's own; SIGTERM and SIGHUP sent to pve-login are passed on to it (SIGINT too, unless stdin is a terminal: a Ctrl-C there reaches the command directly). pve-login exits with the command's exit code, 128+N when a signal N killed it, 127 when it was not found and 126 when it could not be run.`,
    `The command also gets ${EXEC_MARKER.name}=${EXEC_MARKER.value}; a pve-login exec inside it refuses to run (exit 2), because the inner one would only hand on the same ticket. Put -- before the command so that its options stay its own.`,
    `A browser login happens only when a person is at the terminal (or with --login); otherwise exec exits 3 before starting CMD.`,
    `With --api-token, CMD gets a short-lived PVE API token instead of the ticket (in the names of the --for preset), for runs longer than a ticket's 2 hours: pve-login creates it for your user (id pve-login-<random>, lifetime --api-token-ttl, default 8h, at most 7d) and deletes it when CMD ends, however it ends, Ctrl-C and SIGTERM included. If pve-login itself is killed (kill -9), PVE still refuses the token after its lifetime, and \`pve-login api-tokens --prune\` removes it. The token has your own rights (privsep off), like the ticket it replaces; --privsep makes one that has only the roles given with --privsep-acl, which you need Permissions.Modify to grant.`,
  ].join('\n\n')

  /** Listed under EXIT CODES in --help (src/commands/pve-login-help.ts). */
  // Besides these: the command's own exit code, 128+N for signal N, 127 not found, 126 not runnable.
  static exitCodes = [EXIT.ok, EXIT.failure, EXIT.usage, EXIT.loginRequired, EXIT.tls, [EXIT.refused, 'PVE or the identity provider refused the login, or PVE refused the API token'], EXIT.timeout, EXIT.unreachable, EXIT.interrupted] as const

  static override examples = [
    {description: 'Terraform with the bpg provider', command: '<%= config.bin %> exec -- terraform apply'},
    {description: 'Ansible through community.proxmox, with a ticket valid for at least 90 minutes', command: '<%= config.bin %> exec --for ansible --min-valid 90m -- ansible-playbook site.yml'},
    {description: 'Your own script reads $PROXMOX_VE_ENDPOINT and $PROXMOX_VE_AUTH_TICKET', command: '<%= config.bin %> exec -- ./deploy.sh'},
    {description: 'Packer', command: '<%= config.bin %> exec --for packer -- packer build .'},
    {description: 'A Packer build longer than 2 hours, with an API token deleted afterwards', command: '<%= config.bin %> exec --api-token --api-token-ttl 6h --for packer -- packer build .'},
  ]

  static override usage = '<%= command.id %> [FLAGS] -- CMD [ARGS...]'
  static override strict = false
  static override flags = {...connectionFlags, ...sessionFlags, ...consumerFlags, ...apiTokenFlags}

  private commandLine: ExecCommandLine | undefined
  private commandLineError: unknown

  override async run(): Promise<void> {
    // The command's own words must not reach the flag parser (nor count as our --json): split them off first.
    try {
      this.commandLine = splitExecCommandLine(this.argv, valueFlagWords(Exec.flags))
      this.argv = this.commandLine.own
    } catch (error) {
      this.commandLineError = error
      this.argv = []
    }
    return super.run()
  }

  protected async execute(): Promise<CommandResult> {
    if (isInsideExec(this.io.env)) {
      throw new InvalidInputError('pve-login exec is already running around this command (PVE_LOGIN_EXEC=1 is set).', {
        hint: 'The variables are already in this environment: run the command directly. To start afresh, unset PVE_LOGIN_EXEC first.',
      })
    }
    if (this.commandLineError !== undefined || !this.commandLine) throw this.commandLineError
    const [command, ...args] = this.commandLine.command as [string, ...string[]]
    const {flags} = await this.parse(Exec, this.commandLine.own)
    const consumer = flags.for?.map(parseConsumer)
    const tokenOptions = apiTokenOptions(flags)
    if (tokenOptions) {
      // Enough ticket left to create and, after CMD, delete the token; the session renews it in between if needed.
      const session = await this.getSession(flags, {minValidSeconds: RENEW_BEFORE_SECONDS + 120, allowPaste: false})
      // Deleting the token when CMD ends, hours from now, needs a ticket then: keep renewing it meanwhile.
      session.keepAlive({onError: (error) => this.io.warn(`renewing the ticket failed (${(error as Error).message}); the API token may have to expire on its own.`)})
      try {
        return await runWithApiToken(
          session,
          tokenOptions,
          (token) => {
            const credentials = {server: session.server, username: session.username, ...token, expiresAt: token.expiresAt.toISOString()}
            const {variables, notes} = apiTokenVariables(credentials, {consumer, insecure: flags.insecure})
            for (const note of notes) this.io.info(`pve-login: note: ${note}`)
            return runCommand(this.io, command, args, variables, competingWithToken({consumer}))
          },
          this.abort.signal,
          this.io,
        )
      } finally {
        await session.close()
      }
    }
    for (const message of competingCredentialWarnings(this.io.env, {consumer})) this.io.warn(message)
    const {record} = await this.getSessionRecord(flags, {allowPaste: false})
    const {variables, notes} = sessionVariables(record, {consumer, insecure: flags.insecure})
    for (const note of notes) this.io.info(`pve-login: note: ${note}`)
    return runCommand(this.io, command, args, variables, [])
  }
}

/** CMD with the variables (and without `unset`: credentials a consumer would prefer to them); its exit status ours. */
async function runCommand(io: CliIO, command: string, args: string[], variables: ReadonlyArray<readonly [string, string]>, unset: readonly string[]): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = {...io.env}
  for (const name of unset) delete env[name]
  Object.assign(env, Object.fromEntries(variables), {[EXEC_MARKER.name]: EXEC_MARKER.value})
  const outcome = await runChild(command, args, {env, forwardInterrupt: !io.terminal.stdin})
  const exitCode = exitStatusOf(outcome)
  if (outcome.kind !== 'not-started') return {exitCode}
  const hint =
    outcome.errorCode === 'ENOENT'
      ? `pve-login: ${command}: command not found\n  hint: check the spelling and PATH; give a path (./script.sh) for a file in this directory.`
      : `pve-login: ${command}: cannot be run (${outcome.message})\n  hint: a script needs the executable bit (chmod +x) and a #! line; a directory cannot be run.`
  return {exitCode, hint}
}

/** `--server`, `-s`, … : the flags whose value is the next word. */
function valueFlagWords(flags: Record<string, {type: string; char?: string}>): Set<string> {
  const words = new Set<string>()
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.type !== 'option') continue
    words.add(`--${name}`)
    if (flag.char) words.add(`-${flag.char}`)
  }
  return words
}
