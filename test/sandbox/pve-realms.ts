import {CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_LOOPBACK_CLIENT_ID, PUBLIC_CLIENT_ID, type IdpVariantName} from './idp-clients.js'

/** The sandbox's domains.cfg: which realms exist and, for OpenID realms, how they talk to the IdP. */
interface RealmBase {
  realm: string
  comment: string
  /** Preselected on the login screen; a fresh PVE marks `pam`. */
  default?: boolean
}

export interface LocalRealm extends RealmBase {
  type: 'pam' | 'pve'
}

export interface OpenIdRealm extends RealmBase {
  type: 'openid'
  issuerUrl: string
  clientId: string
  /** Set: confidential client (client_secret_basic). Unset: public client (client_id in the body, PKCE only). */
  clientKey?: string
  autocreate: boolean
  /** Default `sub`; `subject` and `username` are PVE's compatibility aliases. */
  usernameClaim?: string
  /** Default `email profile`; `openid` is always prepended. */
  scopes?: string
  prompt?: string
  /** Default true. */
  queryUserinfo?: boolean
  /** Claim holding the user's groups (an array); each becomes PVE group `<name>-<realm>` (access-control 8.2.1+). */
  groupsClaim?: string
  /** Create the groups that do not exist yet; without it only existing ones are assigned. */
  groupsAutocreate?: boolean
  /** Remove the user from all groups first. */
  groupsOverwrite?: boolean
}

export type PveRealm = LocalRealm | OpenIdRealm

export interface RealmWiring {
  /** The issuer of each IdP variant; `main` is the one most realms use. */
  issuers: Record<IdpVariantName, string>
  confidentialClientSecret: string
}

export function sandboxRealms({issuers, confidentialClientSecret}: RealmWiring): PveRealm[] {
  const issuerUrl = issuers.main
  return [
    {realm: 'pam', type: 'pam', comment: 'Linux PAM standard authentication', default: true},
    {realm: 'pve', type: 'pve', comment: 'Proxmox VE authentication server'},
    {
      realm: 'cli',
      type: 'openid',
      comment: 'Sandbox IdP, public client pve-cli (for command-line logins)',
      issuerUrl,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: true,
      // Shares its users' groups with realm ui the way docs/setup/pve-realms.md sets it up.
      groupsClaim: 'groups',
      groupsAutocreate: true,
    },
    {
      // The Entra ID clash: the app registration is public, but the realm still sends a secret.
      realm: 'misconf',
      type: 'openid',
      comment: 'Sandbox IdP, public client pve-cli with a client-key (the IdP refuses the code exchange)',
      issuerUrl,
      clientId: PUBLIC_CLIENT_ID,
      clientKey: confidentialClientSecret,
      autocreate: true,
    },
    {
      realm: 'ui',
      type: 'openid',
      comment: 'Sandbox IdP, confidential client pve-ui (for the web UI; its IdP client has no loopback redirect URI)',
      issuerUrl,
      clientId: CONFIDENTIAL_CLIENT_ID,
      clientKey: confidentialClientSecret,
      autocreate: true,
      groupsClaim: 'groups',
      groupsAutocreate: true,
    },
    {
      realm: 'noauto',
      type: 'openid',
      comment: 'Sandbox IdP, public client pve-cli, no autocreate (only bob@noauto exists)',
      issuerUrl,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: false,
    },
    {
      // An issuer URL with a typo: discovery answers 404, so auth-url fails with a 500 and login with a 401.
      realm: 'broken',
      type: 'openid',
      comment: 'Sandbox IdP under a wrong issuer URL (OpenID discovery fails)',
      issuerUrl: `${issuerUrl}/wrong-issuer-path`,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: true,
    },
    {
      realm: 'secret',
      type: 'openid',
      comment: 'Sandbox IdP, confidential client pve-secret-cli (loopback redirects allowed) with its client-key',
      issuerUrl,
      clientId: CONFIDENTIAL_LOOPBACK_CLIENT_ID,
      clientKey: confidentialClientSecret,
      autocreate: true,
    },
    {
      realm: 'secret-nokey',
      type: 'openid',
      comment: 'Sandbox IdP, confidential client pve-secret-cli without a client-key (the IdP wants the secret)',
      issuerUrl,
      clientId: CONFIDENTIAL_LOOPBACK_CLIENT_ID,
      autocreate: true,
    },
    {
      realm: 'keycloak',
      type: 'openid',
      comment: 'Sandbox IdP at a Keycloak-shaped sub-path (/realms/sandbox), public client pve-cli',
      issuerUrl: issuers.keycloak,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: true,
    },
    {
      realm: 'es256',
      type: 'openid',
      comment: 'Sandbox IdP shaped like authentik (endpoints outside the issuer path) that signs ID tokens with ES256 (PVE 7/8 accept RS256 only)',
      issuerUrl: issuers.es256,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: true,
    },
    {
      realm: 'plainpkce',
      type: 'openid',
      comment: 'Sandbox IdP that advertises PKCE method plain only (PVE always sends S256)',
      issuerUrl: issuers.plainPkce,
      clientId: PUBLIC_CLIENT_ID,
      autocreate: true,
    },
  ]
}

/**
 * The realms, of which tests may show only some (a server with one OpenID realm, say) and mark another one as the
 * default; hidden realms do not exist for PVE's API.
 */
export class RealmDirectory {
  private readonly realms: Map<string, PveRealm>
  private visible: Set<string> | undefined
  private defaultRealm: string | undefined

  constructor(realms: readonly PveRealm[]) {
    this.realms = new Map(realms.map((realm) => [realm.realm, realm]))
  }

  find(realm: string): PveRealm | undefined {
    if (this.visible && !this.visible.has(realm)) return undefined
    const found = this.realms.get(realm)
    return found && this.withDefault(found)
  }

  list(): PveRealm[] {
    return [...this.realms.values()].filter((realm) => !this.visible || this.visible.has(realm.realm)).map((realm) => this.withDefault(realm))
  }

  /** Only these realms exist (undefined: all); `defaultRealm` replaces pam as the preselected one. */
  restrict(visible: readonly string[] | undefined, defaultRealm?: string): void {
    for (const name of [...(visible ?? []), ...(defaultRealm ? [defaultRealm] : [])]) {
      if (!this.realms.has(name)) throw new Error(`no sandbox realm '${name}'`)
    }
    this.visible = visible ? new Set(visible) : undefined
    this.defaultRealm = defaultRealm
  }

  private withDefault(realm: PveRealm): PveRealm {
    if (this.defaultRealm === undefined) return realm
    const {default: _default, ...rest} = realm
    return realm.realm === this.defaultRealm ? {...rest, default: true} : rest
  }
}
