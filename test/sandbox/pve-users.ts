/** The sandbox's user.cfg: which PVE users exist and whether they may log in. */
export interface PveUser {
  userid: string
  enable: boolean
  email?: string
  firstname?: string
  lastname?: string
  /** The groups the user is a member of (user.cfg keeps the members on the group; this is the user's view). */
  groups?: string[]
}

/** PVE's group id format (pve-access-control `pve-groupid`). */
const GROUP_ID = /^[A-Za-z0-9.\-_]+$/

/** PVE::AccessControl::verify_groupname. */
export function verifyGroupname(groupid: string): void {
  if (!GROUP_ID.test(groupid)) throw new Error(`group name '${groupid}' contains invalid characters\n`)
}

export class PveUserDirectory {
  private readonly users = new Map<string, PveUser>()
  /** group id → member user ids. */
  private readonly groups = new Map<string, Set<string>>()

  constructor(initialUsers: readonly PveUser[]) {
    for (const user of initialUsers) this.users.set(user.userid, {...user})
  }

  find(userid: string): PveUser | undefined {
    return this.users.get(userid)
  }

  create(user: PveUser): void {
    if (this.users.has(user.userid)) throw new Error(`user '${user.userid}' already exists\n`)
    this.users.set(user.userid, {...user})
  }

  /** Throws PVE's check_user_enabled texts; they only reach the syslog, never the client. */
  checkEnabled(userid: string): void {
    const user = this.users.get(userid)
    if (!user) throw new Error(`no such user ('${userid}')\n`)
    if (!user.enable) throw new Error(`user '${userid}' is disabled\n`)
  }

  /** Returns false when the user does not exist. */
  setEnabled(userid: string, enable: boolean): boolean {
    const user = this.users.get(userid)
    if (!user) return false
    user.enable = enable
    return true
  }

  list(): PveUser[] {
    return [...this.users.values()].map((user) => ({...user, groups: this.groupsOf(user.userid)}))
  }

  groupExists(groupid: string): boolean {
    return this.groups.has(groupid)
  }

  /** PVE's add_user_group: the group springs into existence if it does not exist (user.cfg autovivification). */
  addUserToGroup(userid: string, groupid: string): void {
    let members = this.groups.get(groupid)
    if (!members) this.groups.set(groupid, (members = new Set()))
    members.add(userid)
  }

  /** PVE's delete_user_group: out of every group. */
  removeUserFromAllGroups(userid: string): void {
    for (const members of this.groups.values()) members.delete(userid)
  }

  groupsOf(userid: string): string[] {
    return [...this.groups.entries()].filter(([, members]) => members.has(userid)).map(([groupid]) => groupid).sort()
  }

  /** GET /access/groups: `{groupid, users}` with the members comma-separated, as PVE lists them. */
  listGroups(): Array<{groupid: string; users: string}> {
    return [...this.groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([groupid, members]) => ({groupid, users: [...members].sort().join(',')}))
  }
}

export const INITIAL_PVE_USERS: readonly PveUser[] = [
  {userid: 'root@pam', enable: true, email: 'root@sandbox.invalid'},
  {userid: 'bob@noauto', enable: true, email: 'bob@example.test', firstname: 'Bob', lastname: 'Example'},
]
