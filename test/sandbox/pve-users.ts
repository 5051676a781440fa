/** The sandbox's user.cfg: which PVE users exist and whether they may log in. */
export interface PveUser {
  userid: string
  enable: boolean
  email?: string
  firstname?: string
  lastname?: string
}

export class PveUserDirectory {
  private readonly users = new Map<string, PveUser>()

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
    return [...this.users.values()].map((user) => ({...user}))
  }
}

export const INITIAL_PVE_USERS: readonly PveUser[] = [
  {userid: 'root@pam', enable: true, email: 'root@sandbox.invalid'},
  {userid: 'bob@noauto', enable: true, email: 'bob@example.test', firstname: 'Bob', lastname: 'Example'},
]
