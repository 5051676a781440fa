/**
 * Which environment variables hand a session to which tool (`pve-login env --for …`, `pve-login exec`). Every name
 * here is one the consumer itself reads, taken from its source; docs/output-formats.md lists them with the file
 * each comes from. Pure: a session in, `[name, value]` pairs out.
 */
import {InvalidInputError} from '../errors.js'
import {portOf} from '../pve/server-url.js'
import type {SessionRecord} from '../session/session-record.js'
import {ticketExpiresAt} from '../pve/ticket.js'
import type {EnvironmentVariable} from './shell.js'
import {formatTimestamp} from './session-json.js'

/**
 * `pve-login` is what `env` prints without `--for`: bpg's names (the only consumer that takes a ticket as such)
 * plus pve-login's own metadata. `all` is the union of every preset.
 */
export type Consumer = 'pve-login' | 'bpg' | 'telmate' | 'packer' | 'ansible' | 'proxmoxer' | 'all'

export const CONSUMERS: readonly Consumer[] = ['pve-login', 'bpg', 'telmate', 'packer', 'ansible', 'proxmoxer', 'all']

/** What the variables are made from: the parts of a stored session a consumer needs. */
export type SessionCredentials = Pick<SessionRecord, 'server' | 'username' | 'ticket' | 'csrfToken' | 'issuedAt' | 'clockOffsetSeconds'>

export interface SessionVariablesOptions {
  /** One consumer, or several (a repeated `--for`); their variables are merged without duplicate names. */
  consumer?: Consumer | readonly Consumer[]
  /**
   * Also tell the consumers to skip TLS verification, in each one's own words. Only when the user asked for it
   * (`--insecure` passed through): the default must never weaken a tool's TLS.
   */
  insecure?: boolean
}

export interface SessionVariables {
  variables: EnvironmentVariable[]
  /** Things the person should know about these variables, one sentence each, for stderr. */
  notes: string[]
}

/** Set in the environment of a command run by `pve-login exec`, so a nested `pve-login exec` can refuse. */
export const EXEC_MARKER = {name: 'PVE_LOGIN_EXEC', value: '1'} as const

export function isInsideExec(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[EXEC_MARKER.name] === EXEC_MARKER.value
}

export function parseConsumer(value: string): Consumer {
  if ((CONSUMERS as readonly string[]).includes(value)) return value as Consumer
  throw new InvalidInputError(`Unknown consumer "${value}".`, {hint: `Choose one of: ${CONSUMERS.join(', ')}.`})
}

/** The concrete presets; `all` expands to these, in this order. */
type Preset = Exclude<Consumer, 'all'>
const PRESETS: readonly Preset[] = ['pve-login', 'bpg', 'telmate', 'packer', 'ansible', 'proxmoxer']

/** Consumers that get the ticket as a *password*: they log in with it and keep renewing on their own. */
const TICKET_AS_PASSWORD: ReadonlySet<Preset> = new Set(['telmate', 'packer', 'ansible', 'proxmoxer'])

/** The presets behind a `--for` choice, in order, each once; no choice means the `pve-login` default. */
function expandConsumers(consumer: SessionVariablesOptions['consumer']): Preset[] {
  const requested: readonly Consumer[] = consumer === undefined ? ['pve-login'] : typeof consumer === 'string' ? [consumer] : consumer
  return [...new Set(requested.flatMap((each) => (each === 'all' ? PRESETS : [each])))]
}

/** The parts of the server URL each consumer wants, computed once. */
interface Endpoint {
  /** `https://pve.example.com:8006`: bpg wants the origin without `/api2/json`. */
  origin: string
  /** `https://pve.example.com:8006/api2/json`: Telmate and Packer want the API base. */
  apiUrl: string
  /**
   * `pve.example.com`, or `[2001:db8::1]` in URL brackets. Unsure: proxmoxer 1.x splits the host on every `:`, so
   * an IPv6 host only works with a proxmoxer that understands brackets (the 2.x line is believed to).
   */
  host: string
  /** Always spelled out: proxmoxer (under community.proxmox too) defaults to 8006, so an implicit 443 would be wrong. */
  port: string
}

/**
 * The variables that make `consumer` use this session. The values are secrets: callers print them only to stdout
 * (or into a child's environment), never into logs.
 */
export function sessionVariables(session: SessionCredentials, options: SessionVariablesOptions = {}): SessionVariables {
  const {presets, variables} = chosenVariables(options, {
    server: session.server,
    username: session.username,
    expiresAt: ticketExpiresAt(new Date(session.issuedAt), session.clockOffsetSeconds ?? 0),
    credential: (shape) => shape.ticket(session),
  })
  return {variables, notes: presetNotes(presets)}
}

/** What token variables are made from: the session's server and user, and the token (never the ticket). */
export interface TokenCredentials {
  server: string
  username: string
  /** `USER@REALM!TOKENID`. */
  fullTokenId: string
  /** The TOKENID part. */
  tokenId: string
  secret: string
  /** ISO 8601. */
  expiresAt: string
}

/**
 * The variables that make `consumer` use an API token instead of the ticket (`env --api-token`, `exec
 * --api-token`). No ticket, CSRF token or password is among them: a consumer that also finds a password uses it
 * (community.proxmox does), so they must not be set at the same time.
 */
export function apiTokenVariables(credentials: TokenCredentials, options: SessionVariablesOptions = {}): SessionVariables {
  const {presets, variables} = chosenVariables(options, {
    server: credentials.server,
    username: credentials.username,
    expiresAt: new Date(credentials.expiresAt),
    credential: (shape) => shape.token(credentials),
  })
  const notes = presets.includes('proxmoxer')
    ? [proxmoxerNote("token_name=os.environ['PROXMOX_TOKEN_ID'], token_value=os.environ['PROXMOX_TOKEN_SECRET']")]
    : []
  return {variables, notes}
}

/**
 * What one consumer reads, in the order printed: where the server is, then the credential (the ticket, or an API
 * token instead), then its TLS switch. Only the credential part differs between `env` and `env --api-token`.
 */
interface PresetShape {
  server: (endpoint: Endpoint, username: string) => EnvironmentVariable[]
  ticket: (session: SessionCredentials) => EnvironmentVariable[]
  token: (token: TokenCredentials) => EnvironmentVariable[]
  /** Set only with `--insecure` (the default must never weaken a tool's TLS); absent where there is no variable. */
  insecure?: EnvironmentVariable
}

/**
 * ansible-collections/community.proxmox plugins/module_utils/proxmox.py (proxmox_auth_argument_spec), which hands
 * these to proxmoxer's ProxmoxAPI(host, port=, user=, password= or token_name=, token_value=)
 * (proxmoxer/backends/https.py). Older community.general modules read the same host/user/password names (they
 * differ in the API-token names). proxmoxer itself reads no variables: a script passes these to ProxmoxAPI, so it
 * gets the same names. PROXMOX_VALIDATE_CERTS is a bool option in community.proxmox.
 */
const COMMUNITY_PROXMOX: PresetShape = {
  server: (endpoint, username) => [
    ['PROXMOX_HOST', endpoint.host],
    ['PROXMOX_PORT', endpoint.port],
    ['PROXMOX_USER', username],
  ],
  // Logs in with the password (here the ticket) and renews every hour.
  ticket: (session) => [['PROXMOX_PASSWORD', session.ticket]],
  // api_token_id (PROXMOX_TOKEN_ID) is the token's id part, api_token_secret (PROXMOX_TOKEN_SECRET) its secret. It
  // uses a password instead whenever one is set, so PROXMOX_PASSWORD is never set with a token.
  token: (token) => [
    ['PROXMOX_TOKEN_ID', token.tokenId],
    ['PROXMOX_TOKEN_SECRET', token.secret],
  ],
  insecure: ['PROXMOX_VALIDATE_CERTS', 'false'],
}

/** Every preset but `pve-login`, which is bpg's plus pve-login's own metadata (presetVariables). */
const PRESET_SHAPES: Readonly<Record<Exclude<Preset, 'pve-login'>, PresetShape>> = {
  // bpg/terraform-provider-proxmox fwprovider/provider.go and docs/index.md.
  bpg: {
    server: (endpoint) => [['PROXMOX_VE_ENDPOINT', endpoint.origin]],
    // No PROXMOX_VE_USERNAME: bpg reads the user from the ticket, and the ticket outranks username/password anyway
    // (bpg's docs/index.md); bpg never renews the ticket.
    ticket: (session) => [
      ['PROXMOX_VE_AUTH_TICKET', session.ticket],
      ['PROXMOX_VE_CSRF_PREVENTION_TOKEN', session.csrfToken],
    ],
    // PROXMOX_VE_API_TOKEN is `USER@REALM!TOKENID=SECRET`, and it outranks a ticket and username/password.
    token: (token) => [['PROXMOX_VE_API_TOKEN', `${token.fullTokenId}=${token.secret}`]],
    insecure: ['PROXMOX_VE_INSECURE', 'true'],
  },
  // Telmate/terraform-provider-proxmox proxmox/provider.go.
  telmate: {
    server: (endpoint) => [['PM_API_URL', endpoint.apiUrl]],
    // No ticket variable: PM_PASS goes to client.Login(user, pass, otp), and PVE's /access/ticket takes a valid
    // ticket as the password.
    ticket: (session) => [
      ['PM_USER', session.username],
      ['PM_PASS', session.ticket],
    ],
    // pm_api_token_id (`user@realm!tokenid`) and pm_api_token_secret; no PM_USER/PM_PASS with a token.
    token: (token) => [
      ['PM_API_TOKEN_ID', token.fullTokenId],
      ['PM_API_TOKEN_SECRET', token.secret],
    ],
    insecure: ['PM_TLS_INSECURE', 'true'],
  },
  // hashicorp/packer-plugin-proxmox builder/proxmox/common/config.go. Packer's TLS switch is the template key
  // `insecure_skip_tls_verify`; it has no variable for it.
  packer: {
    server: (endpoint) => [['PROXMOX_URL', endpoint.apiUrl]],
    // That the ticket works as PROXMOX_PASSWORD is inferred, not tested: Packer logs in through proxmox-api-go's
    // Login, the same call as Telmate.
    ticket: (session) => [
      ['PROXMOX_USERNAME', session.username],
      ['PROXMOX_PASSWORD', session.ticket],
    ],
    // `username` (PROXMOX_USERNAME) is the full token id `user@realm!tokenid` and `token` (PROXMOX_TOKEN) its
    // secret; no password then.
    token: (token) => [
      ['PROXMOX_USERNAME', token.fullTokenId],
      ['PROXMOX_TOKEN', token.secret],
    ],
  },
  ansible: COMMUNITY_PROXMOX,
  proxmoxer: COMMUNITY_PROXMOX,
}

/** What every preset's variables are made from; only the credential is picked per preset (its ticket or token part). */
interface VariableSource {
  server: string
  username: string
  /** When the credential stops working, for PVE_LOGIN_EXPIRES_AT. */
  expiresAt: Date
  credential: (shape: PresetShape) => EnvironmentVariable[]
}

/** What presetVariables reads: the source with the server split up and the options applied, computed once. */
interface PresetInput extends Pick<VariableSource, 'username' | 'credential'> {
  endpoint: Endpoint
  expiresAt: string
  insecure: boolean
}

/** The chosen presets' variables in turn, a name that several presets set appearing once. */
function chosenVariables(options: SessionVariablesOptions, source: VariableSource): {presets: Preset[]; variables: EnvironmentVariable[]} {
  const presets = expandConsumers(options.consumer)
  const input: PresetInput = {
    endpoint: endpointOf(source.server),
    username: source.username,
    expiresAt: formatTimestamp(source.expiresAt),
    insecure: options.insecure === true,
    credential: source.credential,
  }
  const variables: EnvironmentVariable[] = []
  const byName = new Map<string, string>()
  for (const preset of presets) {
    for (const [name, value] of presetVariables(preset, input)) {
      const earlier = byName.get(name)
      if (earlier === undefined) {
        byName.set(name, value)
        variables.push([name, value])
      } else if (earlier !== value) {
        // Presets that share a name (ansible and proxmoxer, packer's PROXMOX_PASSWORD) must agree on its value.
        throw new Error(`internal: ${name} has two different values for the consumers ${presets.join(',')}`)
      }
    }
  }
  return {presets, variables}
}

function presetVariables(preset: Preset, input: PresetInput): EnvironmentVariable[] {
  if (preset === 'pve-login') {
    return [...presetVariables('bpg', input), ['PVE_LOGIN_USERNAME', input.username], ['PVE_LOGIN_EXPIRES_AT', input.expiresAt]]
  }
  const shape = PRESET_SHAPES[preset]
  return [
    ...shape.server(input.endpoint, input.username),
    ...input.credential(shape),
    ...(input.insecure && shape.insecure ? [shape.insecure] : []),
  ]
}

/** How to hand the variables to proxmoxer, which reads none itself; `credentialArguments` differ by credential. */
function proxmoxerNote(credentialArguments: string): string {
  return `proxmoxer reads no environment variables: pass them yourself, e.g. ProxmoxAPI(os.environ['PROXMOX_HOST'], port=int(os.environ['PROXMOX_PORT']), user=os.environ['PROXMOX_USER'], ${credentialArguments}).`
}

/**
 * Credentials in the caller's environment that a consumer would use instead of the API token pve-login hands it.
 * community.proxmox takes a password whenever one is set (ProxmoxAnsible._connect); bpg ranks its API token first,
 * so nothing outranks ours there.
 */
const COMPETING_WITH_TOKEN: Readonly<Record<Preset, readonly string[]>> = {
  'pve-login': [],
  bpg: [],
  telmate: ['PM_PASS'],
  packer: ['PROXMOX_PASSWORD'],
  ansible: ['PROXMOX_PASSWORD'],
  proxmoxer: [],
}

/** Names `exec --api-token` removes from the command's environment, and `env --api-token` warns about. */
export function competingWithToken(options: Pick<SessionVariablesOptions, 'consumer'> = {}): string[] {
  return [...new Set(expandConsumers(options.consumer).flatMap((preset) => COMPETING_WITH_TOKEN[preset]))]
}

function presetNotes(presets: readonly Preset[]): string[] {
  const notes: string[] = []
  const passwordUsers = presets.filter((preset) => TICKET_AS_PASSWORD.has(preset))
  if (passwordUsers.length > 0) {
    notes.push(
      `${passwordUsers.join(', ')} get${passwordUsers.length === 1 ? 's' : ''} the ticket as a password: those tools renew the ticket on their own, so their ticket and the cached one diverge (the cached one still expires on schedule).`,
    )
  }
  if (presets.includes('proxmoxer')) notes.push(proxmoxerNote("password=os.environ['PROXMOX_PASSWORD']"))
  return notes
}

/**
 * API-token variables in the caller's environment that would make a consumer ignore the ticket pve-login hands
 * it. bpg's order is documented (api_token > auth_ticket > username/password, bpg docs/index.md). For Telmate and
 * Packer we only know they read a token variable, not which credential wins, so the warning says "may".
 */
const COMPETING_TOKENS: Readonly<Record<Preset, readonly {name: string; certain: boolean}[]>> = {
  'pve-login': [
    {name: 'PROXMOX_VE_API_TOKEN', certain: true},
    // The SDK half of bpg's provider also reads the legacy alias (proxmoxtf/provider/provider.go GetAnyStringEnv).
    {name: 'PM_VE_API_TOKEN', certain: true},
  ],
  bpg: [
    {name: 'PROXMOX_VE_API_TOKEN', certain: true},
    {name: 'PM_VE_API_TOKEN', certain: true},
  ],
  telmate: [
    {name: 'PM_API_TOKEN_ID', certain: false},
    {name: 'PM_API_TOKEN_SECRET', certain: false},
  ],
  packer: [{name: 'PROXMOX_TOKEN', certain: false}],
  // community.proxmox uses the password whenever one is set and the token only otherwise (ProxmoxAnsible._connect).
  ansible: [],
  // proxmoxer reads no variables; what a script does with PROXMOX_TOKEN_* is up to the script.
  proxmoxer: [],
}

const CONSUMER_LABEL: Readonly<Record<Preset, string>> = {
  'pve-login': 'The bpg Terraform provider',
  bpg: 'The bpg Terraform provider',
  telmate: 'The Telmate Terraform provider',
  packer: 'Packer',
  ansible: 'community.proxmox',
  proxmoxer: 'proxmoxer',
}

/** Warnings (for stderr) about API tokens in `callerEnv` that the chosen consumers prefer, or may prefer, over the ticket. */
export function competingCredentialWarnings(
  callerEnv: Readonly<Record<string, string | undefined>>,
  options: Pick<SessionVariablesOptions, 'consumer'> = {},
): string[] {
  const presets = expandConsumers(options.consumer)
  const warnings: string[] = []
  const warned = new Set<string>()
  for (const preset of presets) {
    for (const {name, certain} of COMPETING_TOKENS[preset]) {
      if (!callerEnv[name] || warned.has(name)) continue
      warned.add(name)
      warnings.push(
        certain
          ? `${name} is set: ${CONSUMER_LABEL[preset]} uses an API token in preference to the ticket. Unset it (e.g. \`unset ${name}\`) to use this login.`
          : `${name} is set: ${CONSUMER_LABEL[preset]} may use the API token instead of the ticket. Unset it to be sure this login is used.`,
      )
    }
  }
  return warnings
}

/** The record's server is a URL: parseSessionRecord made sure of it when the store read it. */
function endpointOf(server: string): Endpoint {
  const url = new URL(server)
  // The record holds an origin; trimming the path too would break a PVE behind a path-prefix proxy, so keep it.
  const origin = `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  return {origin, apiUrl: `${origin}/api2/json`, host: url.hostname, port: portOf(url)}
}
