import {CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID} from './idp-clients.js'

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
}

export type PveRealm = LocalRealm | OpenIdRealm

export interface RealmWiring {
  issuerUrl: string
  confidentialClientSecret: string
}

export function sandboxRealms({issuerUrl, confidentialClientSecret}: RealmWiring): PveRealm[] {
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
      comment: 'Sandbox IdP, confidential client pve-ui (for the web UI)',
      issuerUrl,
      clientId: CONFIDENTIAL_CLIENT_ID,
      clientKey: confidentialClientSecret,
      autocreate: true,
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
  ]
}

export class RealmDirectory {
  private readonly realms: Map<string, PveRealm>

  constructor(realms: readonly PveRealm[]) {
    this.realms = new Map(realms.map((realm) => [realm.realm, realm]))
  }

  find(realm: string): PveRealm | undefined {
    return this.realms.get(realm)
  }

  list(): PveRealm[] {
    return [...this.realms.values()]
  }
}
