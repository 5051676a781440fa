import {createHash} from 'node:crypto'

import {discoverIssuer, exchangeCode} from './openid-code-exchange.js'
import type {OpenIdAuthStateStore} from './openid-auth-state.js'
import {authenticationFailure, PveError} from './pve-error.js'
import type {OpenIdRealm, RealmDirectory} from './pve-realms.js'
import {verifyGroupname, type PveUserDirectory} from './pve-users.js'
import type {SandboxSyslog} from './sandbox-syslog.js'

/**
 * `POST /access/openid/auth-url` and `POST /access/openid/login` as pve-access-control's OpenId.pm and
 * proxmox-openid implement them. auth-url errors leak to the client as 500s; every login error after parameter
 * validation becomes a 401 "authentication failure" with the real reason in the syslog only.
 */
export interface OpenIdEndpointDependencies {
  realms: RealmDirectory
  users: PveUserDirectory
  authStates: OpenIdAuthStateStore
  syslog: SandboxSyslog
  /** The major release the sandbox PVE reports (`/version`); it decides the accepted ID-token algorithms. */
  pveMajor(): number
}

const USERNAME = /^([^\s:/]+)@([A-Za-z][A-Za-z0-9.\-_]+)$/

/** PVE::Auth::Plugin::verify_username. */
export function verifyUsername(username: string): void {
  if (username.length < 3) throw new Error(`user name '${username}' is too short\n`)
  if (username.length > 64) throw new Error(`user name '${username}' is too long (${username.length} > 64)\n`)
  if (!USERNAME.test(username)) throw new Error(`value '${username}' does not look like a valid user name\n`)
}

/** $lookup_openid_auth's realm checks; plain Errors, so auth-url turns them into 500s and login into 401s. */
function openIdRealm(realms: RealmDirectory, realm: string): OpenIdRealm {
  const config = realms.find(realm)
  if (!config) throw new Error(`authentication domain '${realm}' does not exist\n`)
  if (config.type !== 'openid') throw new Error(`wrong realm type (${config.type} != openid)\n`)
  return config
}

/** RedirectUrl::new is url::Url::parse: any absolute URL. */
function parseRedirectUrl(redirectUrl: string): void {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(redirectUrl)) throw new Error('relative URL without a base\n')
  if (!URL.canParse(redirectUrl)) throw new Error('invalid URL\n')
}

/** The username claim with OpenId.pm's fallbacks (`subject` → sub, `username` → preferred_username). */
function uniqueName(claims: Record<string, unknown>, usernameClaim: string): string {
  const value = claims[usernameClaim]
  if (value !== undefined && value !== null) return String(value)
  if (usernameClaim === 'subject' && claims.sub !== undefined) return String(claims.sub)
  if (usernameClaim === 'username') {
    if (claims.preferred_username !== undefined) return String(claims.preferred_username)
    throw new Error("missing claim 'preferred_username'\n")
  }
  throw new Error(`missing configured claim '${usernameClaim}' in returned info object\n`)
}

/** Authorization URL query, in oauth2/openidconnect's order (reference §1.5), form-urlencoded. */
function authorizationUrl(endpoint: string, realm: OpenIdRealm, redirectUrl: string, publicState: string, nonce: string, pkceChallenge: string): string {
  const url = new URL(endpoint)
  const query = url.searchParams
  query.append('response_type', 'code')
  query.append('client_id', realm.clientId)
  query.append('state', publicState)
  query.append('code_challenge', pkceChallenge)
  query.append('code_challenge_method', 'S256')
  query.append('redirect_uri', redirectUrl)
  query.append('scope', ['openid', ...(realm.scopes ?? 'email profile').split(/[,;\s]+/).filter(Boolean)].join(' '))
  query.append('nonce', nonce)
  query.append('display', 'page')
  if (realm.prompt) query.append('prompt', realm.prompt)
  return url.href
}

export class OpenIdEndpoints {
  constructor(private readonly deps: OpenIdEndpointDependencies) {}

  async authUrl(realmName: string, redirectUrl: string): Promise<string> {
    try {
      const realm = openIdRealm(this.deps.realms, realmName)
      const config = await discoverIssuer(realm, this.deps.pveMajor())
      parseRedirectUrl(redirectUrl)
      const {publicState, state} = this.deps.authStates.create(realmName)
      const challenge = createHash('sha256').update(state.pkceVerifier).digest('base64url')
      const endpoint = config.serverMetadata().authorization_endpoint
      if (!endpoint) throw new Error('no authorization endpoint in provider metadata\n')
      return authorizationUrl(endpoint, realm, redirectUrl, publicState, state.nonce, challenge)
    } catch (error) {
      // No eval in the handler: the die text reaches the client as a 500.
      if (error instanceof PveError) throw error
      const message = (error as Error).message
      throw new PveError(500, message.endsWith('\n') ? message : `${message}\n`)
    }
  }

  /** Returns the logged-in user id; every failure is the same 401. */
  async login(publicState: string, code: string, redirectUrl: string, clientAddress: string): Promise<string> {
    try {
      const {realm: realmName, state} = this.deps.authStates.consume(publicState)
      const realm = openIdRealm(this.deps.realms, realmName)
      const config = await discoverIssuer(realm, this.deps.pveMajor())
      parseRedirectUrl(redirectUrl)
      const claims = await exchangeCode(config, {
        code,
        redirectUrl,
        publicState,
        pkceVerifier: state.pkceVerifier,
        nonce: state.nonce,
        queryUserinfo: realm.queryUserinfo ?? true,
      })
      const username = `${uniqueName(claims, realm.usernameClaim ?? 'sub')}@${realmName}`
      verifyUsername(username)
      if (realm.autocreate && !this.deps.users.find(username)) {
        this.deps.users.create({
          userid: username,
          enable: true,
          ...(typeof claims.email === 'string' ? {email: claims.email} : {}),
          ...(typeof claims.given_name === 'string' ? {firstname: claims.given_name} : {}),
          ...(typeof claims.family_name === 'string' ? {lastname: claims.family_name} : {}),
        })
      } else {
        this.deps.users.checkEnabled(username)
      }
      if (realm.groupsClaim) this.syncGroups(realm, username, claims)
      this.deps.syslog.log(`successful openid auth for user '${username}'`)
      return username
    } catch (error) {
      this.deps.syslog.log(`openid authentication failure; rhost=${clientAddress} msg=${(error as Error).message}`)
      throw authenticationFailure()
    }
  }

  /**
   * OpenId.pm since access-control 8.2.1 (fix #4411): the claim must be an array; each name becomes
   * `<name>-<realm>`; without groups-autocreate only existing groups are assigned; groups-overwrite first takes the
   * user out of every group. A missing or malformed claim is logged and the login goes on.
   */
  private syncGroups(realm: OpenIdRealm, username: string, claims: Record<string, unknown>): void {
    const claim = realm.groupsClaim!
    const value = claims[claim]
    if (value === undefined || value === null) {
      this.deps.syslog.log(`openid groups claim '${claim}' is not found in claims`)
      return
    }
    if (!Array.isArray(value)) {
      this.deps.syslog.log('openid groups list is not an array; groups will not be updated')
      return
    }
    const groups: string[] = []
    for (const name of value) {
      const groupid = `${String(name)}-${realm.realm}`
      try {
        verifyGroupname(groupid)
      } catch {
        this.deps.syslog.log(`openid group '${groupid}' is invalid, skipping`)
        continue
      }
      if (realm.groupsAutocreate || this.deps.users.groupExists(groupid)) groups.push(groupid)
    }
    if (realm.groupsOverwrite) this.deps.users.removeUserFromAllGroups(username)
    for (const groupid of groups) this.deps.users.addUserToGroup(username, groupid)
  }
}
