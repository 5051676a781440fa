/**
 * The one place that turns the library's typed advice into CLI words: a setting becomes its flag, a login becomes
 * the `pve-login` command that starts one. The library words the same advice with option names (src/advice.ts);
 * the hint text itself is written once, there.
 */
import {adviceHint, noticeText, type Notice, type SettingName, type Words} from '../advice.js'
import type {PveLoginError} from '../errors.js'
import type {SessionLogger} from '../session/session-options.js'
import type {CliIO} from './io.js'

const FLAGS: Record<SettingName, string> = {
  server: '--server',
  realm: '--realm',
  'tls.fingerprint': '--fingerprint',
  'tls.caFile': '--ca-file',
  'tls.insecure': '--insecure',
  store: '--store',
  loginNode: '--login-node',
  shell: '--shell',
  apiToken: '--api-token',
  'apiToken.privsep': '--privsep',
  'apiToken.acl': '--privsep-acl',
}

export const CLI_WORDS: Words = {
  setting: (name, value) => (value === undefined ? FLAGS[name] : `${FLAGS[name]} ${value}`),
  login: (server, realm) => `pve-login --server ${server} --realm ${realm}`,
  withoutShell: '`pve-login exec -- <command>`',
  diagnose: (server, realm) => doctorCommandLine(server, realm),
  listApiTokens: '`pve-login api-tokens` (`--prune` deletes the stale ones)',
}

/** `pve-login doctor` for a server and realm, as a person types it. */
export function doctorCommandLine(server: string | undefined, realm: string | undefined): string {
  const word = (value: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`)
  return ['pve-login doctor', ...(server ? ['--server', word(server)] : []), ...(realm ? ['--realm', word(realm)] : [])].join(' ')
}

/** The hint the CLI shows for a library error: its advice in flags, or the library's hint when it names no setting. */
export function cliHint(error: PveLoginError): string | undefined {
  return error.advice ? adviceHint(error.advice, CLI_WORDS) : error.hint
}

/** A library warning as the CLI says it. */
export function cliWarning(message: string, notice: Notice | undefined): string {
  return notice ? noticeText(notice, CLI_WORDS) : message
}

/**
 * The logger the CLI hands the library: its warnings and notes in CLI words, on stderr; the low-level words behind
 * them (a keychain library's error text) only with PVE_LOGIN_DEBUG=1.
 */
export function cliLogger(io: Pick<CliIO, 'warn' | 'info' | 'env'>): SessionLogger {
  const debugging = io.env['PVE_LOGIN_DEBUG'] === '1'
  return {
    warn: (message, notice) => io.warn(cliWarning(message, notice)),
    info: (message, notice) => io.info(`pve-login: ${cliWarning(message, notice)}`),
    debug: (message) => {
      if (debugging) io.info(`pve-login: debug: ${message}`)
    },
  }
}
