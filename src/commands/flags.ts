import {Flags} from '@oclif/core'

import {TICKET_FORMATS} from '../cli/ticket-output.js'
import {CONSUMERS} from '../format/environment.js'
import {DEFAULT_MIN_VALID_SECONDS} from '../session/renewal-policy.js'

/** Flags every command that talks to a server shares. The library reads the same environment variables. */
export const connectionFlags = {
  server: Flags.string({
    char: 's',
    env: 'PVE_LOGIN_SERVER',
    helpValue: 'URL',
    description: 'PVE server: a host (https://HOST:8006 is assumed), host:port, or an https:// URL. Remembered after a successful login.',
  }),
  realm: Flags.string({
    char: 'r',
    env: 'PVE_LOGIN_REALM',
    helpValue: 'NAME',
    description: 'The PVE OpenID realm to log in through (as in the web UI login dialog). Remembered after a successful login.',
  }),
  profile: Flags.string({
    env: 'PVE_LOGIN_PROFILE',
    helpValue: 'NAME',
    description: 'Named set of remembered server, realm and TLS pin (default: "default").',
  }),
  fingerprint: Flags.string({
    env: 'PVE_LOGIN_FINGERPRINT',
    helpValue: 'SHA256',
    description: "Trust exactly this server certificate (SHA-256, as `pvenode cert info` shows it). Remembered with the server.",
  }),
  'ca-file': Flags.string({
    env: 'PVE_LOGIN_CA_FILE',
    helpValue: 'PEM',
    description: "Trust this CA (e.g. a copy of the cluster's /etc/pve/pve-root-ca.pem).",
  }),
  insecure: Flags.boolean({
    description: 'Do not check the server certificate at all (warns every time; prefer --fingerprint).',
  }),
  store: Flags.option({
    options: ['keychain', 'file', 'none'] as const,
    env: 'PVE_LOGIN_STORE',
    description: 'Where tickets are kept: the OS keychain (default, with a file fallback), a mode-0600 file under PVE_LOGIN_HOME, or nowhere.',
  })(),
}

export const jsonFlag = {
  json: Flags.boolean({description: 'Write a JSON object to stdout instead of text (errors too).'}),
}

/** Flags of commands that need a ticket implicitly (env, exec, ticket, api, refresh). */
export const sessionFlags = {
  'min-valid': Flags.string({
    helpValue: 'DURATION',
    default: `${DEFAULT_MIN_VALID_SECONDS / 60}m`,
    description: 'Renew the ticket when less than this is left (e.g. 90m, 1h30m; a PVE ticket lives 2h).',
  }),
  login: Flags.boolean({
    description: 'Open a browser login when needed even without a terminal.',
    exclusive: ['no-login'],
  }),
  'no-login': Flags.boolean({
    description: 'Never open a browser: exit 3 when no valid or renewable ticket exists.',
    exclusive: ['login'],
  }),
  'max-session': Flags.string({
    env: 'PVE_LOGIN_MAX_SESSION',
    helpValue: 'DURATION',
    description: 'No silent renewal once the browser login is older than this (e.g. 12h, 7d): a browser login (or exit 3) follows, so a change at the identity provider takes effect. Default: no limit.',
  }),
  // No `env: 'BROWSER'` here: the library reads BROWSER itself, as a PATH-like list of commands tried in order,
  // which a flag default would collapse into one command.
  'browser-command': Flags.string({
    helpValue: 'CMD',
    description: 'Command that opens the login URL when a browser login is needed (appended as its last argument; run without a shell). Default: $BROWSER, else the system browser.',
  }),
}

/** `--for`, shared by env and exec: whose variable names to use. */
export const consumerFlags = {
  for: Flags.string({
    options: [...CONSUMERS],
    multiple: true,
    // `--for bpg terraform` must not swallow the next word as a second consumer.
    multipleNonGreedy: true,
    delimiter: ',',
    helpValue: 'CONSUMER',
    description: 'Variables for this tool (repeatable, or comma-separated): bpg, telmate, packer, ansible, proxmoxer, all. Default: bpg\'s PROXMOX_VE_* plus PVE_LOGIN_USERNAME and PVE_LOGIN_EXPIRES_AT.',
  }),
}

/** `ticket`'s other outputs: a curl config or cookie jar instead of the bare ticket, and a private file instead of stdout. */
export const ticketOutputFlags = {
  format: Flags.option({
    options: TICKET_FORMATS,
    exclusive: ['json'],
    description: 'Instead of the bare ticket: a curl config for `curl -K FILE` (cookie and CSRF header), or a Netscape cookie jar for `curl -b FILE` and `wget --load-cookies FILE`.',
  })(),
  output: Flags.string({
    char: 'o',
    helpValue: 'FILE',
    description: 'Write to FILE instead of stdout: created with mode 0600, replaced atomically.',
  }),
}

/** Where the login listens: shared by `login` and `doctor`, which checks what a login with them would meet. */
export const loopbackFlags = {
  port: Flags.string({
    helpValue: 'N[,N...]',
    description: 'Listen on these fixed ports, tried in order, instead of a random free one (for IdPs that match redirect URIs exactly).',
  }),
  'redirect-host': Flags.option({
    options: ['127.0.0.1', 'localhost'] as const,
    default: '127.0.0.1' as const,
    description: 'Host name in the redirect URL sent to the IdP. The listener always binds 127.0.0.1.',
  })(),
}

/** `--api-token` and its companions, shared by env and exec: hand over a short-lived API token instead of the ticket. */
export const apiTokenFlags = {
  'api-token': Flags.boolean({
    description:
      "Hand over a short-lived PVE API token instead of the ticket: it outlives the ticket's 2 hours, and it is deleted at PVE when no longer needed (exec: when CMD ends; env: by logout). It has your own rights (privsep off) unless --privsep.",
  }),
  'api-token-ttl': Flags.string({
    helpValue: 'DURATION',
    default: '8h',
    description: 'Lifetime of a new API token (e.g. 30m, 8h, 2d; at most 7d). PVE refuses the token afterwards, even when pve-login could not delete it.',
  }),
  privsep: Flags.boolean({
    description:
      'Make the API token privilege-separated: it then has only the roles granted with --privsep-acl, and granting them needs Permissions.Modify on the path. Default: off, the token has your rights.',
  }),
  'privsep-acl': Flags.string({
    multiple: true,
    helpValue: 'PATH=ROLE',
    description: 'With --privsep: grant ROLE on PATH to the token (repeatable), e.g. /vms/100=PVEVMAdmin.',
  }),
}
