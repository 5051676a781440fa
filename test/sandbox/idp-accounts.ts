/**
 * The people who can sign in at the sandbox identity provider. The passwords are fixed and public on purpose:
 * they protect nothing, and the robot browser and the tests need to know them without being told.
 */
export interface IdpAccount {
  /** The OpenID `sub`; PVE's default username-claim, so `<sub>@<realm>` becomes the PVE user. */
  sub: string
  password: string
  email: string
  name: string
  /** The `groups` claim (an array, as PVE's groups-claim wants it). */
  groups: string[]
}

/** Terminal escapes in a user name (see IDP_ACCOUNTS). */
export const ESCAPE_USER = 'eve\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\u202e'

export const IDP_ACCOUNTS: readonly IdpAccount[] = [
  {sub: 'alice', password: 'alice-password', email: 'alice@example.test', name: 'Alice Example', groups: ['admins', 'devs']},
  {sub: 'bob', password: 'bob-password', email: 'bob@example.test', name: 'Bob Example', groups: ['devs']},
  // An apostrophe in the user name catches shell-quoting and HTML-escaping mistakes downstream.
  {sub: "o'brien", password: "o'brien-password", email: 'obrien@example.test', name: "Pat O'Brien", groups: []},
  // A hostile IdP user name: clear screen, set the window title, write the clipboard (OSC 52), a bidi override.
  // PVE's user name format ([^\s:/]+) lets every one of them through, so pve-login must never print it raw.
  {sub: ESCAPE_USER, password: 'eve-password', email: 'eve@example.test', name: 'Eve Escape', groups: []},
]

export const DEFAULT_ROBOT_ACCOUNT: IdpAccount = IDP_ACCOUNTS[0]!

export function findIdpAccount(sub: string): IdpAccount | undefined {
  return IDP_ACCOUNTS.find((account) => account.sub === sub)
}

/** The account when user and password match, otherwise undefined. */
export function checkIdpPassword(sub: string, password: string): IdpAccount | undefined {
  const account = findIdpAccount(sub)
  return account && account.password === password ? account : undefined
}
