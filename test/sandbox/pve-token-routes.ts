import {isTokenId, TOKEN_SUBID_PATTERN, type ApiTokenDirectory} from './pve-api-tokens.js'
import {PveError, parameterVerificationFailed} from './pve-error.js'
import type {ParameterFormat, ParameterSchema} from './pve-parameters.js'
import type {ApiRoute, RouteContext} from './pve-routes.js'
import {checkRoleGrantable, mayModifyPermissions, type TokenAclTree} from './pve-token-acl.js'

/**
 * The API-token and ACL routes (pve-access-control v9.1.1 src/PVE/API2/User.pm, src/PVE/API2/ACL.pm), with their
 * permission checks:
 * - tokens: `['or', ['userid-param', 'self'], ['userid-group', ['User.Modify']]]`. `self` compares the request's
 *   user with the path's userid (RPCEnvironment.pm exec_api2_perm_check), and a request made with a token has the
 *   token's id as its user, so a token can never manage tokens, not even its own user's.
 * - ACLs: `['perm-modify', '{path}']` (RPCEnvironment.pm check_perm_modify), then update_acl's own role check.
 * A failed check is raise_perm_exc(): 403 `Permission check failed` (pve-common src/PVE/Exception.pm).
 */
export interface TokenRouteDependencies {
  apiTokens: ApiTokenDirectory
  tokenAcl: TokenAclTree
}

const permissionCheckFailed = (what?: string): PveError => new PveError(403, `Permission check failed${what ? ` (${what})` : ''}\n`)

/** `pve-userid` (Auth/Plugin.pm verify_username): `user@realm`, 3 to 64 characters. */
const USERID_FORMAT: ParameterFormat = {
  pattern: /^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/,
  complaint: 'value does not look like a valid user name\n',
}
const USERID = {type: 'string', maxLength: 64, format: USERID_FORMAT} as const
const TOKEN_SUBID = {type: 'string', pattern: TOKEN_SUBID_PATTERN} as const
const TOKEN_OPTIONS = {
  expire: {type: 'integer', optional: true, minimum: 0},
  privsep: {type: 'boolean', optional: true},
  comment: {type: 'string', optional: true},
} as const

function selfOrUserModify(deps: TokenRouteDependencies, authId: string, raw: Record<string, unknown>): void {
  if (authId === 'root@pam') return
  if (typeof raw.userid === 'string' && raw.userid === authId) return
  // userid-group with User.Modify on /access/groups: a member of any group (or of all groups) the caller may modify.
  if (deps.tokenAcl.privilegesAt(authId, '/access/groups')['User.Modify'] === 1) return
  throw permissionCheckFailed()
}

function tokenCreation(params: RouteContext['params']): {expire?: number; privsep?: boolean; comment?: string} {
  return {
    ...(params.expire !== undefined ? {expire: Number(params.expire)} : {}),
    ...(params.privsep !== undefined ? {privsep: params.privsep === '1'} : {}),
    ...(params.comment !== undefined ? {comment: params.comment} : {}),
  }
}

/** AccessControl.pm normalize_path: `//` collapsed, no trailing slash. */
function normalizeAclPath(path: string): string {
  const collapsed = path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1')
  return collapsed.startsWith('/') ? collapsed : `/${collapsed}`
}

/** AccessControl.pm check_path, for the kinds of paths the sandbox knows. */
const VALID_ACL_PATH = /^\/(?:access(?:\/groups(?:\/[^/]+)?|\/realm(?:\/[^/]+)?)?|vms(?:\/\d+)?|storage(?:\/[^/]+)?|nodes(?:\/[^/]+)?|pool(?:\/[^/]+)?|sdn(?:\/.+)?|mapping(?:\/.+)?)?$/

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,;]+/).filter((item) => item !== '')
}

export function tokenRoutes(deps: TokenRouteDependencies): ApiRoute[] {
  const check = (authId: string, raw: Record<string, unknown>): void => selfOrUserModify(deps, authId, raw)
  const userid = (context: RouteContext): string => context.params.userid ?? ''
  const tokenid = (context: RouteContext): string => context.params.tokenid ?? ''
  const tokenPath = '/access/users/{userid}/token/{tokenid}'
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/access/users/{userid}/token',
      requiresAuth: true,
      parameters: {userid: USERID},
      checkPermission: check,
      handle: (context) => deps.apiTokens.list(userid(context)),
    },
    {
      method: 'GET',
      path: tokenPath,
      requiresAuth: true,
      parameters: {userid: USERID, tokenid: TOKEN_SUBID},
      checkPermission: check,
      handle: (context) => deps.apiTokens.read(userid(context), tokenid(context)),
    },
    {
      method: 'POST',
      path: tokenPath,
      requiresAuth: true,
      parameters: {userid: USERID, tokenid: TOKEN_SUBID, ...TOKEN_OPTIONS},
      checkPermission: check,
      handle: (context) => deps.apiTokens.generate(userid(context), tokenid(context), tokenCreation(context.params)),
    },
    {
      method: 'PUT',
      path: tokenPath,
      requiresAuth: true,
      // `regenerate` and `delete` are not modelled.
      parameters: {userid: USERID, tokenid: TOKEN_SUBID, ...TOKEN_OPTIONS},
      checkPermission: check,
      handle: (context) => deps.apiTokens.update(userid(context), tokenid(context), tokenCreation(context.params)),
    },
    {
      method: 'DELETE',
      path: tokenPath,
      requiresAuth: true,
      parameters: {userid: USERID, tokenid: TOKEN_SUBID},
      checkPermission: check,
      handle: (context) => {
        deps.apiTokens.remove(userid(context), tokenid(context))
        deps.tokenAcl.forget(`${userid(context)}!${tokenid(context)}`)
        return null
      },
    },
    {
      method: 'PUT',
      path: '/access/acl',
      requiresAuth: true,
      parameters: {
        path: {type: 'string'},
        roles: {type: 'string'},
        tokens: {type: 'string', optional: true},
        users: {type: 'string', optional: true},
        groups: {type: 'string', optional: true},
        propagate: {type: 'boolean', optional: true},
        delete: {type: 'boolean', optional: true},
      } satisfies ParameterSchema,
      checkPermission: (authId, raw) => {
        if (authId === 'root@pam') return
        const path = typeof raw.path === 'string' ? normalizeAclPath(raw.path) : undefined
        if (path === undefined || !mayModifyPermissions(deps.tokenAcl, authId, path)) throw permissionCheckFailed()
      },
      handle: (context) => {
        const {params} = context
        if (!params.users && !params.groups && !params.tokens) {
          const complaint = "either 'users', 'groups' or 'tokens' is required."
          throw parameterVerificationFailed({users: complaint, groups: complaint, tokens: complaint})
        }
        if (params.users || params.groups) throw new PveError(500, 'sandbox: ACL entries for users and groups are not modelled\n')
        const path = normalizeAclPath(params.path ?? '')
        if (params.delete !== '1' && !VALID_ACL_PATH.test(path)) throw parameterVerificationFailed({path: `invalid ACL path '${params.path}'`})
        const propagate = params.propagate === '0' ? 0 : 1
        const authId = context.userid ?? ''
        for (const role of splitList(params.roles)) {
          if (authId !== 'root@pam') checkRoleGrantable(deps.tokenAcl, authId, path, role, params.delete === '1')
          for (const fullTokenId of splitList(params.tokens)) {
            if (!isTokenId(fullTokenId)) throw new PveError(500, `'${fullTokenId}' is not a valid token ID - not able to split into user and token parts\n`)
            const [user = '', token = ''] = fullTokenId.split('!')
            deps.apiTokens.read(user, token)
            if (params.delete === '1') deps.tokenAcl.revoke(path, fullTokenId, role)
            else deps.tokenAcl.grant(path, fullTokenId, role, propagate)
          }
        }
        return null
      },
    },
  ]
  return routes.map((route) => ({...route, apiTokenFeature: true}))
}
