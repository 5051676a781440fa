/**
 * A fixed permission model instead of PVE's ACL tree: root@pam is Administrator on `/`, every other user is
 * PVEAuditor on `/` plus PVEVMAdmin on `/vms`. Enough for `cap`, `/access/permissions` and the `clustername`
 * rule; the sandbox does not enforce privileges on individual API calls.
 */
const PRIVILEGES_BY_CAP_GROUP = {
  vms: [
    'VM.Allocate', 'VM.Audit', 'VM.Backup', 'VM.Clone', 'VM.Config.CDROM', 'VM.Config.CPU', 'VM.Config.Cloudinit',
    'VM.Config.Disk', 'VM.Config.HWType', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options',
    'VM.Console', 'VM.GuestAgent.Audit', 'VM.Migrate', 'VM.PowerMgmt', 'VM.Snapshot', 'VM.Snapshot.Rollback',
    'Permissions.Modify',
  ],
  storage: ['Datastore.Allocate', 'Datastore.AllocateSpace', 'Datastore.AllocateTemplate', 'Datastore.Audit', 'Permissions.Modify'],
  access: ['Group.Allocate', 'Permissions.Modify', 'Realm.Allocate', 'Realm.AllocateUser', 'User.Modify'],
  nodes: ['Permissions.Modify', 'Sys.Audit', 'Sys.Console', 'Sys.Incoming', 'Sys.Modify', 'Sys.PowerMgmt', 'Sys.Syslog'],
  dc: ['SDN.Allocate', 'SDN.Audit', 'Sys.Audit', 'Sys.Modify'],
  sdn: ['Permissions.Modify', 'SDN.Allocate', 'SDN.Audit', 'SDN.Use'],
  mapping: ['Mapping.Audit', 'Mapping.Modify', 'Mapping.Use', 'Permissions.Modify'],
} as const

type CapGroup = keyof typeof PRIVILEGES_BY_CAP_GROUP
export type Capabilities = Record<CapGroup, Record<string, 1>>

const AUDITOR = new Set(['Datastore.Audit', 'Mapping.Audit', 'Pool.Audit', 'SDN.Audit', 'Sys.Audit', 'VM.Audit', 'VM.GuestAgent.Audit'])
const VM_ADMIN = new Set(PRIVILEGES_BY_CAP_GROUP.vms.filter((privilege) => privilege !== 'Permissions.Modify'))
const ALL_PRIVILEGES = new Set(Object.values(PRIVILEGES_BY_CAP_GROUP).flat())

const isRoot = (userid: string): boolean => userid === 'root@pam'

function asFlags(privileges: Iterable<string>): Record<string, 1> {
  return Object.fromEntries([...privileges].sort().map((privilege) => [privilege, 1 as const]))
}

/** `/access/permissions`: path → privilege → 1 (propagate). */
export function effectivePermissions(userid: string): Record<string, Record<string, 1>> {
  if (isRoot(userid)) return {'/': asFlags(ALL_PRIVILEGES)}
  return {'/': asFlags(AUDITOR), '/vms': asFlags(new Set([...AUDITOR, ...VM_ADMIN]))}
}

/** The `cap` object of a login answer: always the 7 groups, each with the privileges the user has there. */
export function capabilities(userid: string): Capabilities {
  const granted = isRoot(userid) ? ALL_PRIVILEGES : new Set([...AUDITOR, ...VM_ADMIN])
  const entries = Object.entries(PRIVILEGES_BY_CAP_GROUP).map(([group, privileges]) => [
    group,
    asFlags(privileges.filter((privilege) => granted.has(privilege))),
  ])
  return Object.fromEntries(entries) as Capabilities
}

/** PVE adds `clustername` to a login answer only for users with Sys.Audit on `/`. */
export function mayAuditRoot(userid: string): boolean {
  return effectivePermissions(userid)['/']?.['Sys.Audit'] === 1
}

/**
 * The built-in roles the sandbox knows, for ACLs granted to API tokens (pve-access-control src/PVE/AccessControl.pm
 * `$privgroups`/`userconfig_force_defaults` define them; only these four are modelled).
 */
export const ROLES: Readonly<Record<string, ReadonlySet<string>>> = {
  Administrator: ALL_PRIVILEGES,
  PVEAuditor: AUDITOR,
  PVEVMAdmin: VM_ADMIN,
  NoAccess: new Set<string>(),
}

/** A user's privileges at one ACL path: those of the most specific path of the fixed model that covers it. */
export function userPrivilegesAt(userid: string, path: string): Record<string, 1> {
  const all = effectivePermissions(userid)
  const covering = Object.keys(all)
    .filter((aclPath) => aclPath === '/' || path === aclPath || path.startsWith(`${aclPath}/`))
    .sort((a, b) => b.length - a.length)[0]
  return covering ? {...(all[covering] ?? {})} : {}
}

export {asFlags as privilegeFlags}
