import type {CheckResult, CheckStatus, DoctorFix, DoctorReport, IdpKind, RealmFacts} from '../doctor/doctor-check.js'
import {anyLoopbackPort} from '../doctor/idp-kind.js'
import {forTerminal} from '../format/terminal-text.js'

/**
 * `pve-login doctor` in words: one line per check, and under every warn, fail (or skip with something to do) the
 * fix as commands and flags. The library hands the fix over as data; this is the one place that words it.
 */

const IDP_NAMES: Record<IdpKind, string> = {
  entra: 'Microsoft Entra ID',
  keycloak: 'Keycloak',
  authelia: 'Authelia',
  authentik: 'authentik',
  okta: 'Okta',
  google: 'Google',
  zitadel: 'ZITADEL',
  kanidm: 'kanidm',
  'pocket-id': 'Pocket ID',
  dex: 'Dex',
  'oidc-provider': 'the identity provider',
  generic: 'the identity provider',
}

/**
 * docs/setup/ has a guide per IdP; the generic one for the rest. Named as the command that shows it, which works
 * where pve-login is installed (the guides ship in the package).
 */
function guide(idp: IdpKind): string {
  const file = idp === 'oidc-provider' ? 'generic' : idp === 'entra' ? 'entra-id' : idp
  return `\`pve-login docs setup/${file}\``
}

/** A word for a POSIX shell: bare when safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/** The second, public realm for the command line, with what is known filled in. */
function secondRealmCommand(facts: RealmFacts, clientId = facts.clientId): string {
  return [
    'pveum realm add',
    shellWord(`${facts.realm}-cli`),
    '--type openid',
    `--issuer-url ${facts.issuer ? shellWord(facts.issuer) : '<issuer URL>'}`,
    `--client-id ${clientId ? shellWord(clientId) : '<client ID>'}`,
    ...(facts.usernameClaim ? [`--username-claim ${shellWord(facts.usernameClaim)}`] : []),
    '--autocreate 1',
  ].join(' ')
}

function portRule(idp: IdpKind): string {
  const any = anyLoopbackPort(idp)
  if (any === true) return `${IDP_NAMES[idp]} matches a loopback redirect URI on any port once it is registered without one`
  if (any === false) return `${IDP_NAMES[idp]} compares the port too: register http://127.0.0.1:<port>/callback for a few fixed ports and log in with --port <the same list>`
  return `if ${IDP_NAMES[idp]} compares the port too, register http://127.0.0.1:<port>/callback for a few fixed ports and log in with --port <the same list>`
}

const SIGNING_KEY_ADVICE: Partial<Record<IdpKind, string>> = {
  authentik: "in the provider's settings pick an RSA certificate as Signing Key",
  keycloak: 'Realm settings → Tokens → Default signature algorithm RS256, or the client\'s "ID token signature algorithm"',
  authelia: 'add an RSA key to identity_providers.oidc.jwks and keep id_token_signed_response_alg RS256',
  kanidm: 'kanidm system oauth2 warning-enable-legacy-crypto <client>',
  'pocket-id': 'use an RSA signing key',
}

export function fixText(fix: DoctorFix): string {
  switch (fix.kind) {
    case 'trust-certificate': {
      const pin = `--fingerprint ${fix.fingerprint ?? '<SHA-256>'}`
      return fix.changed
        ? `The certificate is not the pinned one: renewed on the node, or someone is intercepting. Compare with \`pvenode cert info\` on the node; only if it matches, pin it again: ${pin}.`
        : `Compare with \`pvenode cert info\` on the node, then pin it: ${pin}; or trust the cluster CA with --ca-file (a copy of /etc/pve/pve-root-ca.pem).`
    }
    case 'reach-server':
      return `Check the address and port of ${fix.server} (PVE's API listens on 8006), the network path (VPN, firewall), and HTTPS_PROXY/NO_PROXY.`
    case 'sync-clock':
      return `Synchronise both clocks (NTP: \`timedatectl\`, chrony); the node's is ${Math.abs(fix.skewSeconds)} s ${fix.skewSeconds > 0 ? 'ahead' : 'behind'}.`
    case 'log-in-first':
      return `Log in once (pve-login --server ${shellWord(fix.server)}${fix.realm ? ` --realm ${shellWord(fix.realm)}` : ''}), or through any realm of this server, then run pve-login doctor again: it reads the version and the realm's settings with that ticket.`
    case 'choose-realm':
      return `Name one with --realm: ${fix.openidRealms.join(', ')}.`
    case 'add-openid-realm':
      return 'An administrator adds an OpenID realm (pveum realm add NAME --type openid --issuer-url … --client-id …); see `pve-login docs setup`.'
    case 'pve-cannot-reach-idp':
      return "PVE fetches the IdP's discovery document and keys on every login: check the realm's issuer-url (`pveum realm list`; it must equal the IdP's issuer exactly), that the node reaches the IdP (datacenter.cfg http_proxy), and `journalctl -u pvedaemon` on the node."
    case 'auth-url-unusable':
      return `PVE's answer was not what PVE sends (${fix.problem}): something in front of the server rewrites it, or the server is not PVE.`
    case 'issuer-not-found':
      return fix.realmSettingsRead
        ? `The realm's issuer-url has no discovery document whose authorization_endpoint is this one: check it against the IdP (tried: ${fix.tried.join(', ')}).`
        : "Where the authorization endpoint is not below the issuer (authentik's /application/o/authorize/), doctor needs the realm's issuer-url: log in once through any realm of this server as a user who may read realm settings (Sys.Audit), then run pve-login doctor again; `pveum realm list` shows it too."
    case 'enable-code-flow':
      return `Allow the authorization code flow for this client at ${IDP_NAMES[fix.idp]}; see ${guide(fix.idp)}.`
    case 'enable-s256':
      return `Turn on PKCE with S256 for this client at ${IDP_NAMES[fix.idp]} (PVE always sends S256); see ${guide(fix.idp)}.`
    case 'sign-with-rs256': {
      const how = SIGNING_KEY_ADVICE[fix.idp]
      return `Have ${IDP_NAMES[fix.idp]} sign ID tokens with RS256${how ? ` (${how})` : ''}, or run PVE 9, which accepts ${fix.advertised.join(', ') || 'the listed algorithms'}; see ${guide(fix.idp)}.`
    }
    case 'register-redirect-uri': {
      const {facts} = fix
      const where = facts.idp === 'entra' ? ' under "Mobile and desktop applications" of the app registration, and log in with --redirect-host localhost' : ''
      return `Register ${fix.redirectUri} as a redirect URI of client ${facts.clientId ?? '<client ID>'} at ${IDP_NAMES[facts.idp]}${where}; ${portRule(facts.idp)}. If that client must stay as it is (the web UI's), create a public client for the command line and a second realm: ${secondRealmCommand(facts, '<the new client ID>')}. See ${guide(facts.idp)}.`
    }
    case 'fix-client-id':
      return `The realm's client-id ${fix.facts.clientId ?? ''} is not a client of ${IDP_NAMES[fix.facts.idp]} at this issuer: correct it (pveum realm modify ${shellWord(fix.facts.realm)} --client-id <the IdP's client ID>), or the issuer names another tenant/realm.`
    case 'delete-client-key': {
      const {facts} = fix
      const remove = `pveum realm modify ${shellWord(facts.realm)} --delete client-key`
      const second = `or, if the web UI needs that secret, keep this realm and add a second one for the command line: ${secondRealmCommand(facts)}`
      return fix.certain
        ? `The IdP's client is public, so the realm must not send a secret. Remove the client-key: ${remove}; ${second}.`
        : `The IdP's client is public, so the realm must have no client-key. If \`pveum realm list\` (or Datacenter → Realms) shows one on ${facts.realm}, remove it: ${remove}; ${second}.`
    }
    case 'client-needs-secret': {
      const {facts} = fix
      const give = `give the realm the client's secret (pveum realm modify ${shellWord(facts.realm)} --client-key '<secret>') and let the IdP allow the loopback redirect for that client`
      const second = `or create a public client for the command line and a second realm: ${secondRealmCommand(facts, '<the public client ID>')}`
      return fix.certain
        ? `The IdP's client is confidential and realm ${facts.realm} has no client-key: ${give}; ${second}. See ${guide(facts.idp)}.`
        : `The IdP's client is confidential, so the realm needs its client-key: if it has none, ${give}; ${second}. See ${guide(facts.idp)}.`
    }
    case 'free-port':
      return fix.ports.length ? `Free port ${fix.ports.join(', ')} (another program holds it), or give other ports with --port.` : 'Check what prevents binding 127.0.0.1 (a sandbox, a firewall policy).'
    case 'store-fallback':
      return `Tickets then go to ${fix.location} (mode 0600). To use the keychain, start a Secret Service (e.g. gnome-keyring); to make the file store the choice, pass --store file.`
    case 'paste-route':
      return 'Log in with --no-browser: open the printed URL in a browser anywhere, then paste the address it ends on (or set BROWSER / --browser-command).'
  }
}

const STATUS_WORDS: Record<CheckStatus, string> = {ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip'}
const CHECK_WIDTH = 17

/** One check as lines for stderr. */
export function doctorLines(result: CheckResult): string {
  const head = `${STATUS_WORDS[result.status].padEnd(5)} ${result.check.padEnd(CHECK_WIDTH)} ${result.detail}`
  const fix = result.fix && result.status !== 'ok' ? `\n${' '.repeat(6 + CHECK_WIDTH + 1)}fix: ${fixText(result.fix)}` : ''
  return forTerminal(head + fix)
}

export function doctorSummary(report: DoctorReport): string {
  const count = (status: CheckStatus) => report.results.filter((result) => result.status === status).length
  const failed = count('fail')
  return failed
    ? `${failed} check${failed === 1 ? '' : 's'} failed, ${count('warn')} warned: fix the first failure and run pve-login doctor again.`
    : `Nothing failed${count('warn') ? ` (${count('warn')} warned)` : ''}.`
}

/** `--json`: the schema in schemas/doctor.json. */
export function doctorJson(report: DoctorReport): Array<{check: string; status: CheckStatus; detail: string; fix: string | null}> {
  return report.results.map((result) => ({
    check: result.check,
    status: result.status,
    detail: result.detail,
    fix: result.fix && result.status !== 'ok' ? fixText(result.fix) : null,
  }))
}
