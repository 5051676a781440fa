import type {OpenIdEndpoints} from './pve-openid.js'
import {authenticationFailure, PveError} from './pve-error.js'
import type {PveInventory} from './pve-inventory.js'
import {authenticateLocalUser} from './pve-local-auth.js'
import {buildLoginResult} from './pve-login-result.js'
import {DNS_NAME_FORMAT, REALM_FORMAT, type ParameterSchema, type ParameterValues} from './pve-parameters.js'
import {effectivePermissions} from './pve-permissions.js'
import type {ApiTokenDirectory} from './pve-api-tokens.js'
import {splitTokenId} from './pve-api-tokens.js'
import type {TokenAclTree} from './pve-token-acl.js'
import {tokenRoutes} from './pve-token-routes.js'
import type {PveRealm, RealmDirectory} from './pve-realms.js'
import type {TicketAuthority} from './pve-tickets.js'
import type {PveUserDirectory} from './pve-users.js'
import type {SandboxSyslog} from './sandbox-syslog.js'

/**
 * The API paths the sandbox implements, relative to /api2/json, with PVE's parameter schemas. `requiresAuth:
 * false` marks pveproxy's allow-list (ticket and OpenID calls, domain list); everything else needs a ticket.
 */
export interface RouteContext {
  params: ParameterValues
  /** The request's user on authenticated paths: the ticket's user, or an API token's full id `user@realm!id`. */
  userid: string | undefined
  clientAddress: string
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** `{name}` segments are path parameters; they are validated with the schema like PVE does. */
  path: string
  requiresAuth: boolean
  parameters: ParameterSchema
  /** `allowtoken => 0` (PVE::RESTHandler defaults it to 1): the method refuses requests made with an API token. */
  allowToken?: false
  /** Part of API tokens (PVE 6.2): absent when the sandbox plays an older PVE. */
  apiTokenFeature?: true
  /** The method's `permissions` check, run before its parameters are validated (as pve-manager's rest_handler does). */
  checkPermission?(authId: string, rawParams: Record<string, unknown>): void
  handle(context: RouteContext): unknown
}

export interface RouteDependencies {
  realms: RealmDirectory
  users: PveUserDirectory
  tickets: TicketAuthority
  apiTokens: ApiTokenDirectory
  tokenAcl: TokenAclTree
  inventory: PveInventory
  openid: OpenIdEndpoints
  syslog: SandboxSyslog
  rootPassword: string
  /** Read at every login, so the controls can change it. */
  clusterName: () => string | undefined
  /** The pve-manager version `/version` reports (a sandbox control). */
  pveVersion(): string
}

const NODE = {type: 'string', format: {pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, complaint: 'value does not look like a valid node name\n'}} as const
const VMID = {type: 'integer', minimum: 100, maximum: 999999999} as const

function authenticatedUser(context: RouteContext): string {
  if (context.userid === undefined) throw new Error('route requires authentication but has no user')
  return context.userid
}

/** POST /access/ticket: renewal with the current ticket as password, or a local password login. */
function createTicket(deps: RouteDependencies, context: RouteContext): unknown {
  const {params} = context
  const username = params.realm && !params.username?.includes('@') ? `${params.username}@${params.realm}` : (params.username ?? '')
  const password = params.password ?? ''
  try {
    deps.users.checkEnabled(username)
    const ticketUser = password.startsWith('PVE:') ? deps.tickets.verifyTicket(password) : undefined
    // A valid ticket of the same user (or of root@pam) is enough: that is how every client renews.
    if (ticketUser !== username && ticketUser !== 'root@pam') {
      authenticateLocalUser(deps.realms, username, password, deps.rootPassword)
    }
    return buildLoginResult(username, deps.tickets, deps.clusterName())
  } catch (error) {
    deps.syslog.log(`authentication failure; rhost=${context.clientAddress} user=${username} msg=${(error as Error).message}`)
    throw authenticationFailure()
  }
}

/** GET /access/permissions for a user or a token (RPCEnvironment.pm get_effective_permissions). */
function permissionsAt(deps: RouteDependencies, authId: string, path: string | undefined): Record<string, Record<string, 1>> {
  const token = splitTokenId(authId)
  if (token) {
    const info = deps.apiTokens.find(authId)
    if (path !== undefined) return {[path]: deps.tokenAcl.privilegesAt(authId, path)}
    if (!info?.privsep) return info ? effectivePermissions(token.userid) : {}
    const entries = deps.tokenAcl.pathsOf(authId).map((aclPath) => [aclPath, deps.tokenAcl.privilegesAt(authId, aclPath)] as const)
    return Object.fromEntries(entries.filter(([, privileges]) => Object.keys(privileges).length > 0))
  }
  const all = effectivePermissions(authId)
  if (path === undefined) return all
  // The most specific ACL path that covers the requested one.
  const covering = Object.keys(all)
    .filter((aclPath) => aclPath === '/' || path === aclPath || path.startsWith(`${aclPath}/`))
    .sort((a, b) => b.length - a.length)[0]
  return {[path]: covering ? (all[covering] ?? {}) : {}}
}

/** A realm as domains.cfg holds it (section-config keys, booleans as 1/0), which GET /access/domains/{realm} returns. */
function realmConfig(realm: PveRealm): Record<string, unknown> {
  const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0)
  const entries: Record<string, unknown> = {type: realm.type, comment: realm.comment, default: flag(realm.default)}
  if (realm.type === 'openid') {
    Object.assign(entries, {
      'issuer-url': realm.issuerUrl,
      'client-id': realm.clientId,
      'client-key': realm.clientKey,
      autocreate: flag(realm.autocreate),
      'username-claim': realm.usernameClaim,
      'groups-claim': realm.groupsClaim,
      'groups-autocreate': flag(realm.groupsAutocreate),
      'groups-overwrite': flag(realm.groupsOverwrite),
      scopes: realm.scopes,
      prompt: realm.prompt,
      'query-userinfo': flag(realm.queryUserinfo),
    })
  }
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined))
}

/** `check => ['perm', path, privileges, any => 1]`: one of the privileges on the path or above it. */
function checkAnyPrivilege(deps: RouteDependencies, authId: string, path: string, privileges: readonly string[]): void {
  const granted = Object.values(permissionsAt(deps, authId, path))[0] ?? {}
  if (!privileges.some((privilege) => granted[privilege])) {
    throw new PveError(403, `Permission check failed (${path}, ${privileges.join('|')})\n`)
  }
}

export function sandboxRoutes(deps: RouteDependencies): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/version',
      requiresAuth: true,
      parameters: {},
      handle: () => {
        const version = deps.pveVersion()
        return {version, release: version.split('.').slice(0, 2).join('.'), repoid: '5ccd07d9302562b7'}
      },
    },
    {
      method: 'GET',
      path: '/access/domains',
      requiresAuth: false,
      parameters: {},
      handle: () =>
        deps.realms.list().map((realm) => ({
          realm: realm.realm,
          type: realm.type,
          comment: realm.comment,
          ...(realm.default ? {default: 1} : {}),
        })),
    },
    {
      // Domains.pm `read`: the realm's whole domains.cfg section (client-key included) plus the file's digest.
      method: 'GET',
      path: '/access/domains/{realm}',
      requiresAuth: true,
      parameters: {realm: {type: 'string', maxLength: 32, format: REALM_FORMAT}},
      handle: (context) => {
        checkAnyPrivilege(deps, authenticatedUser(context), '/access/realm', ['Realm.Allocate', 'Sys.Audit'])
        const realm = deps.realms.find(context.params.realm ?? '')
        if (!realm) throw new Error(`domain '${context.params.realm}' does not exist\n`)
        return {...realmConfig(realm), digest: '0000000000000000000000000000000000000000'}
      },
    },
    {
      method: 'GET',
      path: '/access/groups',
      requiresAuth: true,
      parameters: {},
      handle: () => deps.users.listGroups(),
    },
    {
      method: 'GET',
      path: '/access/permissions',
      requiresAuth: true,
      parameters: {userid: {type: 'string', optional: true, maxLength: 64}, path: {type: 'string', optional: true, maxLength: 128}},
      handle: (context) => permissionsAt(deps, context.params.userid ?? authenticatedUser(context), context.params.path),
    },
    {
      method: 'POST',
      path: '/access/ticket',
      requiresAuth: false,
      parameters: {
        username: {type: 'string', maxLength: 64},
        password: {type: 'string'},
        realm: {type: 'string', optional: true, maxLength: 32, format: REALM_FORMAT},
        otp: {type: 'string', optional: true},
        'new-format': {type: 'boolean', optional: true},
        'tfa-challenge': {type: 'string', optional: true},
      },
      // AccessControl.pm create_ticket: `allowtoken => 0, # we don't want tokens to create tickets` (unauthenticated
      // anyway, so a token header is never even read here).
      allowToken: false,
      handle: (context) => createTicket(deps, context),
    },
    {
      method: 'POST',
      path: '/access/openid/auth-url',
      requiresAuth: false,
      parameters: {
        realm: {type: 'string', maxLength: 32, format: REALM_FORMAT},
        'redirect-url': {type: 'string', maxLength: 255},
      },
      handle: (context) => deps.openid.authUrl(context.params.realm ?? '', context.params['redirect-url'] ?? ''),
    },
    {
      method: 'POST',
      path: '/access/openid/login',
      requiresAuth: false,
      parameters: {
        state: {type: 'string', maxLength: 1024},
        code: {type: 'string', maxLength: 4096},
        'redirect-url': {type: 'string', maxLength: 255},
      },
      handle: async (context) => {
        const {state = '', code = '', 'redirect-url': redirectUrl = ''} = context.params
        const userid = await deps.openid.login(state, code, redirectUrl, context.clientAddress)
        return buildLoginResult(userid, deps.tickets, deps.clusterName())
      },
    },
    {
      method: 'GET',
      path: '/nodes',
      requiresAuth: true,
      parameters: {},
      handle: () => deps.inventory.listNodes(),
    },
    {
      method: 'GET',
      path: '/nodes/{node}/qemu',
      requiresAuth: true,
      parameters: {node: NODE, full: {type: 'boolean', optional: true}},
      handle: (context) => deps.inventory.listVms(context.params.node ?? ''),
    },
    {
      method: 'POST',
      path: '/nodes/{node}/qemu/{vmid}/clone',
      requiresAuth: true,
      parameters: {
        node: NODE,
        vmid: VMID,
        newid: VMID,
        name: {type: 'string', optional: true, format: DNS_NAME_FORMAT},
        description: {type: 'string', optional: true, maxLength: 8192},
        full: {type: 'boolean', optional: true},
        pool: {type: 'string', optional: true},
        snapname: {type: 'string', optional: true, maxLength: 40},
        storage: {type: 'string', optional: true},
        format: {type: 'string', optional: true},
        target: {type: 'string', optional: true},
        bwlimit: {type: 'integer', optional: true, minimum: 0},
      },
      handle: (context) =>
        deps.inventory.clone(
          context.params.node ?? '',
          Number(context.params.vmid),
          Number(context.params.newid),
          context.params.name,
          authenticatedUser(context),
        ),
    },
    {
      method: 'GET',
      path: '/nodes/{node}/tasks/{upid}/status',
      requiresAuth: true,
      parameters: {node: NODE, upid: {type: 'string', maxLength: 256}},
      handle: (context) => deps.inventory.taskStatus(context.params.node ?? '', context.params.upid ?? ''),
    },
    ...tokenRoutes(deps),
  ]
}
