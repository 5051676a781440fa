/**
 * Hints that tell a person which setting to change. The library names a setting by its option (`tls.fingerprint`),
 * the CLI by its flag (`--fingerprint`), and a script that calls getSession must not be told to pass a flag it does
 * not have. So an error carries the facts of its advice (this union), and the hint text is written once, here, in
 * terms of a `Words` that says how to name things: LIBRARY_WORDS for the library's own `hint`, src/cli/cli-wording.ts
 * for what the CLI prints.
 */

/** The settings a hint may point at, by their library names (SessionOptions, TlsOptions, renderVariables' format). */
export type SettingName =
  | 'server'
  | 'realm'
  | 'tls.fingerprint'
  | 'tls.caFile'
  | 'tls.insecure'
  | 'store'
  | 'loginNode'
  | 'shell'
  /** Asking for an API token at all (Session.createApiToken; the CLI's --api-token). */
  | 'apiToken'
  /** ApiTokenOptions.privsep / --privsep, and ApiTokenOptions.acl / --privsep-acl. */
  | 'apiToken.privsep'
  | 'apiToken.acl'

/** How a caller names what a person can do. */
export interface Words {
  /** A setting, or a setting with a value: `tls.fingerprint: "AA:…"` for the library, `--fingerprint AA:…` for the CLI. */
  setting(name: SettingName, value?: string): string
  /** How to start a browser login for this server and realm. */
  login(server: string, realm: string): string
  /** How to hand the variables to a program without a shell in between. */
  withoutShell: string
  /** How to run the checks that say why a login through this realm fails (`runDoctor` / `pve-login doctor`). */
  diagnose(server: string, realm: string): string
  /** How to see the API tokens pve-login made for the user. */
  listApiTokens: string
}

/** The facts behind a hint. Errors keep them as `advice`, so any caller can word the hint its own way. */
export type Advice =
  /** The server's certificate is not trusted; `fingerprint` is what it presented, when it could be read. */
  | {kind: 'trust-certificate'; fingerprint: string | undefined}
  /** The certificate no longer matches the pinned fingerprint. */
  | {kind: 'certificate-changed'; fingerprint: string | undefined}
  /** The OS keychain cannot be used; the file store would work. */
  | {kind: 'keychain-unavailable'; platform: NodeJS.Platform}
  /** The store named is not one there is. */
  | {kind: 'choose-store'}
  | {kind: 'give-server'}
  | {kind: 'give-realm'}
  /** No usable ticket and no browser login allowed: a login where a person is, for this server and realm. */
  | {kind: 'log-in'; server: string; realm: string}
  /** PVE refused the login through this realm (its 401, which never says why); `server` as the login used it. */
  | {kind: 'login-refused'; realm: string; server?: string}
  /** A variable's value cannot be written in the chosen shell format. */
  | {kind: 'shell-cannot-carry'}
  /** PVE has no API tokens (before 6.2). */
  | {kind: 'api-token-unsupported'}
  /** PVE refused to create a token for the session's user. */
  | {kind: 'api-token-refused'}
  /** A privilege-separated token was asked for without any ACL for it. */
  | {kind: 'api-token-needs-acl'}
  /** PVE refused to grant one of a privilege-separated token's ACLs. */
  | {kind: 'api-token-grant-refused'}
  /** Every random token id tried was taken. */
  | {kind: 'api-token-id-clash'}
  /** A token to keep for later calls, with a store that keeps nothing. */
  | {kind: 'api-token-needs-store'}

/** The library's words: option names, as a TypeScript caller writes them. */
export const LIBRARY_WORDS: Words = {
  setting: (name, value) => {
    if (name === 'shell') return value === undefined ? 'another format' : `the ${value} format`
    if (name === 'apiToken') return 'Session.createApiToken()'
    if (name === 'apiToken.privsep') return 'privsep: true'
    if (name === 'apiToken.acl') return 'acl: [{path, role}]'
    return value === undefined ? `the option ${name}` : `${name}: ${JSON.stringify(value)}`
  },
  login: (server, realm) => `login({server: ${JSON.stringify(server)}, realm: ${JSON.stringify(realm)}}) where a person can use a browser, or getSession with interactive: true`,
  withoutShell: "the program's environment (spawn it with the variables)",
  diagnose: (server, realm) => `runDoctor({server: ${JSON.stringify(server)}, realm: ${JSON.stringify(realm)}})`,
  listApiTokens: 'Session.listApiTokens()',
}

/** The hint for `advice`, in `words`. */
export function adviceHint(advice: Advice, words: Words): string {
  switch (advice.kind) {
    case 'trust-certificate': {
      const {fingerprint} = advice
      return (
        `${fingerprint ? `The server presented the certificate with SHA-256 fingerprint ${fingerprint}. ` : ''}` +
        'Compare it with what `pvenode cert info` prints on the node, then either ' +
        `pin it with ${words.setting('tls.fingerprint', fingerprint ?? '<SHA-256 fingerprint>')}, ` +
        `or trust the cluster CA with ${words.setting('tls.caFile')} (a copy of /etc/pve/pve-root-ca.pem from a node). ` +
        `Use ${words.setting('tls.insecure')} only as a last resort: it accepts any certificate, including an attacker's.`
      )
    }
    case 'certificate-changed':
      return (
        'Either the certificate was renewed on the node, or someone is intercepting the connection. ' +
        `${advice.fingerprint ? `The server now presents ${advice.fingerprint}. ` : ''}` +
        `Check with \`pvenode cert info\` on the node; only if it shows the same fingerprint, pin the new one with ${words.setting('tls.fingerprint')}.`
      )
    case 'keychain-unavailable': {
      const instead = `Use ${words.setting('store', 'file')} to keep tickets in a mode-0600 file instead.`
      if (advice.platform === 'linux') {
        return `On Linux the keychain is the Secret Service (gnome-keyring, KeePassXC…) on the D-Bus session bus; it must be running and unlocked. ${instead}`
      }
      return `Unlock the keychain, or ${instead.charAt(0).toLowerCase()}${instead.slice(1)}`
    }
    case 'choose-store':
      return `Use one of: keychain, file, none (${words.setting('store')} or PVE_LOGIN_STORE).`
    case 'give-server':
      return `Pass ${words.setting('server', 'pve.example.com')} (or set PVE_LOGIN_SERVER) once; pve-login remembers it after a successful login.`
    case 'give-realm':
      return `Pass ${words.setting('realm', 'NAME')} (or set PVE_LOGIN_REALM): the name of the PVE OpenID realm, as shown in the web UI login dialog.`
    case 'log-in':
      return `Run: ${words.login(advice.server, advice.realm)}`
    case 'login-refused':
      return [
        ...(advice.server ? [`Run ${words.diagnose(advice.server, advice.realm)} first (with the same certificate settings): it checks each step of this realm's login and names the fix.`] : []),
        'Likely causes, most likely first:',
        `(a) The realm ${advice.realm} has a client secret (client-key), but the identity provider treats a loopback redirect as a ` +
          'public client and refuses the secret (Entra ID: AADSTS700025). Fix: a second realm without client-key, backed by a ' +
          'public/native app registration, for the command line.',
        `(b) Your user does not exist on PVE and the realm's autocreate is off. Fix: an administrator creates the user ` +
          `(user@${advice.realm}) or turns on autocreate.`,
        '(c) The login took longer than 10 minutes, or auth-url and login reached different cluster nodes (a load balancer ' +
          `without sticky sessions: log in through one node with ${words.setting('loginNode')}), or a clock is off (the node's or the IdP's).`,
        "The node's `journalctl -u pvedaemon` shows the real reason; see docs/troubleshooting.md.",
      ].join('\n')
    case 'shell-cannot-carry':
      return `Use ${words.withoutShell} to pass the ticket without a shell, or ${words.setting('shell', 'json')}.`
    case 'api-token-unsupported':
      return `API tokens need PVE 6.2 or later. Hand over the ticket instead of using ${words.setting('apiToken')} (it lives 2 hours).`
    case 'api-token-refused':
      return (
        "PVE lets every user create API tokens for itself, so this user is missing from PVE's user list or the session is not its own. " +
        `Ask a PVE administrator, or hand over the ticket instead of using ${words.setting('apiToken')}.`
      )
    case 'api-token-needs-acl':
      return (
        `Grant it roles with ${words.setting('apiToken.acl', '/vms/100=PVEVMAdmin')} (granting needs Permissions.Modify on the path), ` +
        `or do without ${words.setting('apiToken.privsep')}: the token then has exactly the user's own rights.`
      )
    case 'api-token-grant-refused':
      return (
        'Granting ACLs needs Permissions.Modify on the path (on /vms/ID, VM.Allocate and every privilege of the role). ' +
        `Ask a PVE administrator, or do without ${words.setting('apiToken.privsep')}: the token then has exactly the user's own rights.`
      )
    case 'api-token-needs-store':
      return `Keep the session in a store that lasts, ${words.setting('store', 'keychain')} or ${words.setting('store', 'file')}: a token nothing remembers could never be deleted, only wait out its expiry.`
    case 'api-token-id-clash':
      return `Something else creates tokens named pve-login-* for this user: list them with ${words.listApiTokens} and delete the stale ones.`
  }
}

/** A warning's facts, handed to SessionLogger.warn next to its text, so a caller may word it its own way. */
export type Notice =
  /**
   * The keychain is not used here (`reason`, plain words: no Secret Service, no answer, refused writes); tickets
   * go to the file store at `location`. Said when that is decided or changes, and at logins; `detail` is the
   * keychain library's own error text, for a debug mode.
   */
  {kind: 'store-fallback'; reason: string; location: string; detail?: string}

/** The text of a warning, in `words`. */
export function noticeText(notice: Notice, _words: Words): string {
  switch (notice.kind) {
    case 'store-fallback':
      return `${notice.reason}; tickets are kept in ${notice.location}, mode 0600.`
  }
}
