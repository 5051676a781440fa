import {ROLES, privilegeFlags, userPrivilegesAt} from './pve-permissions.js'
import {PveError} from './pve-error.js'
import type {ApiTokenDirectory} from './pve-api-tokens.js'
import {splitTokenId} from './pve-api-tokens.js'

/**
 * ACL entries for API tokens and what a token may do with them (pve-access-control v9.1.1: src/PVE/API2/ACL.pm
 * `update_acl`, src/PVE/AccessControl.pm `roles` and src/PVE/RPCEnvironment.pm `permissions`). A token with
 * privsep=0 has its user's privileges; with privsep=1 only the roles granted to the token itself, walked from `/`
 * down to the path (a deeper entry replaces the ones above; an entry above applies below only when it propagates),
 * and never more than its user has there.
 */
export class TokenAclTree {
  /** ACL path → full token id → role → propagate. */
  private readonly entries = new Map<string, Map<string, Map<string, 0 | 1>>>()

  constructor(private readonly tokens: ApiTokenDirectory) {}

  grant(path: string, fullTokenId: string, role: string, propagate: 0 | 1): void {
    const atPath = this.entries.get(path) ?? new Map<string, Map<string, 0 | 1>>()
    const roles = atPath.get(fullTokenId) ?? new Map<string, 0 | 1>()
    roles.set(role, propagate)
    atPath.set(fullTokenId, roles)
    this.entries.set(path, atPath)
  }

  revoke(path: string, fullTokenId: string, role: string): void {
    this.entries.get(path)?.get(fullTokenId)?.delete(role)
  }

  /** Drops every entry of a token (PVE does this when the token is deleted: user.cfg no longer names it). */
  forget(fullTokenId: string): void {
    for (const atPath of this.entries.values()) atPath.delete(fullTokenId)
  }

  private tokenRolesAt(fullTokenId: string, path: string): string[] {
    const segments = path === '/' ? [''] : path.split('/')
    let roles: string[] = []
    let current = ''
    segments.forEach((segment, index) => {
      current = index === 0 ? '/' : current === '/' ? `/${segment}` : `${current}/${segment}`
      const final = index === segments.length - 1
      const entry = this.entries.get(current)?.get(fullTokenId)
      if (!entry) return
      const applicable = [...entry.entries()].filter(([, propagate]) => final || propagate === 1).map(([role]) => role)
      if (applicable.length > 0) roles = applicable
    })
    return roles
  }

  /** RPCEnvironment::permissions for a user or a token id at `path`. */
  privilegesAt(authId: string, path: string): Record<string, 1> {
    const parts = splitTokenId(authId)
    if (!parts) return userPrivilegesAt(authId, path)
    const info = this.tokens.find(authId)
    if (!info) return {}
    const userPrivileges = userPrivilegesAt(parts.userid, path)
    if (!info.privsep) return userPrivileges
    const granted = new Set(this.tokenRolesAt(authId, path).flatMap((role) => [...(ROLES[role] ?? [])]))
    return privilegeFlags([...granted].filter((privilege) => userPrivileges[privilege] === 1))
  }

  /** The ACL paths with entries for this token (where a privsep token can have privileges at all). */
  pathsOf(fullTokenId: string): string[] {
    return [...this.entries.entries()].filter(([, atPath]) => (atPath.get(fullTokenId)?.size ?? 0) > 0).map(([path]) => path)
  }
}

/** RPCEnvironment::check_perm_modify: Permissions.Modify on the path, or the allocate privilege of its kind. */
export function mayModifyPermissions(acl: TokenAclTree, authId: string, path: string): boolean {
  const privileges = acl.privilegesAt(authId, path)
  const accepted = ['Permissions.Modify']
  if (/^\/storage\/.+$/.test(path)) accepted.push('Datastore.Allocate')
  else if (/^\/vms\/.+$/.test(path)) accepted.push('VM.Allocate')
  else if (/^\/pool\/.+$/.test(path)) accepted.push('Pool.Allocate')
  return accepted.some((privilege) => privileges[privilege] === 1)
}

/**
 * ACL.pm update_acl's role check for a caller without Permissions.Modify on the path: only roles whose privileges
 * the caller has there. (PVE also refuses a propagating entry when the caller's privilege does not propagate; every
 * privilege of the sandbox's fixed model propagates, so that case cannot arise here.)
 */
export function checkRoleGrantable(acl: TokenAclTree, authId: string, path: string, role: string, remove: boolean): void {
  const rolePrivileges = ROLES[role]
  if (!rolePrivileges) throw new PveError(500, `role '${role}' does not exist\n`)
  const mine = acl.privilegesAt(authId, path)
  if (mine['Permissions.Modify'] === 1) return
  const verb = remove ? 'remove' : 'add'
  for (const privilege of rolePrivileges) {
    if (mine[privilege] !== 1) {
      throw new PveError(400, 'Parameter verification failed.\n', {errors: {role: `Cannot ${verb} role '${role}' - requires 'Permissions.Modify' or superset of privileges.`}})
    }
  }
  if (role === 'NoAccess') {
    throw new PveError(400, 'Parameter verification failed.\n', {errors: {role: `Cannot ${verb} role '${role}' - requires 'Permissions.Modify'`}})
  }
}
