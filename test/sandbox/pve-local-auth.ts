import type {RealmDirectory} from './pve-realms.js'

/**
 * Password checks for the non-OpenID realms. The sandbox has exactly one local account, root@pam, whose
 * password is chosen when the sandbox starts; the `pve` realm exists but has no users.
 */
export function authenticateLocalUser(realms: RealmDirectory, userid: string, password: string, rootPassword: string): void {
  const at = userid.lastIndexOf('@')
  const realmName = at > 0 ? userid.slice(at + 1) : ''
  const realm = realms.find(realmName)
  if (!realm) throw new Error(`no such realm '${realmName}'\n`)
  if (realm.type === 'openid') throw new Error('OpenID realm does not allow password verification.\n')
  if (userid === 'root@pam' && password === rootPassword) return
  throw new Error('invalid credentials\n')
}
