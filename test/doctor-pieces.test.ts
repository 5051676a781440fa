import {describe, expect, test} from '@jest/globals'

import {judgeAuthorizationAnswer, pageText} from '../src/doctor/idp-error-page.js'
import {anyLoopbackPort, idpKindOf} from '../src/doctor/idp-kind.js'
import {discoveryUrl, issuerCandidates, sameEndpoint} from '../src/doctor/issuer-candidates.js'

/**
 * doctor's pure parts: where to look for the issuer given only PVE's authorization URL (each IdP's real URL
 * shape), and how an authorization endpoint's answer is read.
 */
const REDIRECT = 'http://127.0.0.1:43123/callback'

describe('issuer candidates from the authorization URL', () => {
  test.each([
    ['Entra ID', 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize?client_id=x', 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0', 0],
    ['Keycloak', 'https://kc.example.com/realms/pve/protocol/openid-connect/auth?client_id=x', 'https://kc.example.com/realms/pve', 2],
    ['Keycloak before 17 (/auth prefix)', 'https://kc.example.com/auth/realms/pve/protocol/openid-connect/auth', 'https://kc.example.com/auth/realms/pve', 2],
    ['Authelia', 'https://auth.example.com/api/oidc/authorization?client_id=x', 'https://auth.example.com', 2],
    ['Google', 'https://accounts.google.com/o/oauth2/v2/auth', 'https://accounts.google.com', 3],
    ['Okta custom authorization server', 'https://dev-1.okta.com/oauth2/default/v1/authorize', 'https://dev-1.okta.com/oauth2/default', 1],
    ['a generic provider', 'https://idp.example.com/oauth2/authorize', 'https://idp.example.com', 1],
    ['oidc-provider under a mount path', 'http://127.0.0.1:4000/realms/sandbox/auth', 'http://127.0.0.1:4000/realms/sandbox', 0],
  ])('%s: its issuer is among the candidates, in the expected place', (_idp, authorizationUrl, issuer, position) => {
    const candidates = issuerCandidates(authorizationUrl)
    expect(candidates.indexOf(issuer)).toBe(position)
    expect(candidates).not.toContain(new URL(authorizationUrl).origin + new URL(authorizationUrl).pathname)
  })

  test("authentik: the realm's own issuer-url comes first, since the shared endpoint does not name the application", () => {
    const candidates = issuerCandidates('https://authentik.example.com/application/o/authorize/', 'https://authentik.example.com/application/o/pve/')
    expect(candidates[0]).toBe('https://authentik.example.com/application/o/pve/')
    expect(candidates).toEqual(['https://authentik.example.com/application/o/pve/', 'https://authentik.example.com/application/o', 'https://authentik.example.com/application', 'https://authentik.example.com'])
  })

  test('no duplicates, at most the limit, and the discovery URL joins like PVE (one slash)', () => {
    const candidates = issuerCandidates('https://a.example/1/2/3/4/5/6/7/8/9/10/auth', 'https://a.example/1/2/3/4/5/6/7/8/9/10/')
    expect(new Set(candidates).size).toBe(candidates.length)
    expect(candidates).toHaveLength(8)
    expect(discoveryUrl('https://authentik.example.com/application/o/pve/')).toBe('https://authentik.example.com/application/o/pve/.well-known/openid-configuration')
    expect(discoveryUrl('https://kc.example.com/realms/pve')).toBe('https://kc.example.com/realms/pve/.well-known/openid-configuration')
  })

  test('the endpoint matches by origin and path, not by query or a trailing slash', () => {
    expect(sameEndpoint('https://authentik.example.com/application/o/authorize/', 'https://authentik.example.com/application/o/authorize/?client_id=x')).toBe(true)
    expect(sameEndpoint('https://login.microsoftonline.com/t/oauth2/authorize', 'https://login.microsoftonline.com/t/oauth2/v2.0/authorize')).toBe(false)
    expect(sameEndpoint(42, 'https://x.example/auth')).toBe(false)
  })
})

describe('which IdP it is, from its authorization URL', () => {
  test.each([
    ['https://login.microsoftonline.com/t/oauth2/v2.0/authorize', 'entra', true],
    ['https://kc.example.com/realms/pve/protocol/openid-connect/auth', 'keycloak', true],
    ['https://auth.example.com/api/oidc/authorization', 'authelia', true],
    ['https://authentik.example.com/application/o/authorize/', 'authentik', undefined],
    ['https://dev-1.okta.com/oauth2/v1/authorize', 'okta', false],
    ['https://accounts.google.com/o/oauth2/v2/auth', 'google', true],
    ['https://zitadel.example.com/oauth/v2/authorize', 'zitadel', true],
    ['https://idm.example.com/ui/oauth2', 'kanidm', false],
    ['https://sso.example.com/dex/auth', 'dex', undefined],
    ['https://idp.example.com/authorize', 'generic', undefined],
  ])('%s → %s', (url, kind, anyPort) => {
    expect(idpKindOf(url)).toBe(kind)
    expect(anyLoopbackPort(idpKindOf(url))).toBe(anyPort)
  })
})

describe("the authorization endpoint's answer", () => {
  const page = (body: string, status = 400) => judgeAuthorizationAnswer({status, body}, REDIRECT)

  test.each([
    ['Entra AADSTS50011', "<div>AADSTS50011: The redirect URI 'http://127.0.0.1:43123/callback' specified in the request does not match the redirect URIs configured for the application 'x'. Make sure…</div>", 'redirect-uri-rejected', 'entra'],
    ['Entra AADSTS700016', "<p>AADSTS700016: Application with identifier 'pve-cli' was not found in the directory 'Contoso'.</p>", 'client-unknown', 'entra'],
    ['Keycloak redirect', '<div id="kc-error-message"><p class="instruction">Invalid parameter: redirect_uri</p></div>', 'redirect-uri-rejected', 'keycloak'],
    ['Keycloak client', '<p class="instruction">Client not found.</p>', 'client-unknown', 'keycloak'],
    ['Authelia', "<p>The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client&#39;s pre-registered 'redirect_uris'.</p>", 'redirect-uri-rejected', 'authelia'],
    ['authentik', '<p>The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).</p>', 'redirect-uri-rejected', 'authentik'],
    ['oidc-provider', '<p>error_description: redirect_uri did not match any of the client&#39;s registered redirect_uris</p>', 'redirect-uri-rejected', 'oidc-provider'],
    ['Okta', "<p>The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: https://x.okta.com/…</p>", 'redirect-uri-rejected', 'okta'],
    ['Google', '<p>Error 400: redirect_uri_mismatch</p>', 'redirect-uri-rejected', 'google'],
    ['ZITADEL', '<p>The requested redirect_uri is missing in the client configuration.</p>', 'redirect-uri-rejected', 'zitadel'],
    ['Dex', '<p>Unregistered redirect_uri ("http://127.0.0.1:43123/callback").</p>', 'redirect-uri-rejected', 'dex'],
    ['any IdP naming the OAuth code', '{"error":"invalid_client"}', 'client-unknown', undefined],
  ])('%s', (_name, body, kind, idp) => {
    const verdict = page(body)
    expect(verdict.kind).toBe(kind)
    expect('idp' in verdict ? verdict.idp : undefined).toBe(idp)
    expect('message' in verdict ? (verdict.message ?? '').length : 0).toBeLessThanOrEqual(201)
  })

  test('a sign-in page, or a redirect to one, is good; a redirect back with error= is a refusal after all', () => {
    expect(page('<form><input name="password"></form>', 200)).toEqual({kind: 'login-page', how: 'page'})
    expect(judgeAuthorizationAnswer({status: 302, location: 'https://idp.example.com/login?x', body: ''}, REDIRECT)).toEqual({kind: 'login-page', how: 'redirect'})
    expect(judgeAuthorizationAnswer({status: 302, location: `${REDIRECT}?error=invalid_scope&error_description=nope&state=s`, body: ''}, REDIRECT)).toEqual({kind: 'error-redirect', error: 'invalid_scope', description: 'nope'})
    expect(page('<h1>Internal error</h1>', 500)).toEqual({kind: 'other-error', status: 500, message: 'Internal error'})
  })

  test("an error only in a script's data (Entra's $Config) is found too", () => {
    const body = '<html><script>$Config={"strServiceExceptionMessage":"AADSTS50011: The redirect URI \\u0027http://127.0.0.1:43123/callback\\u0027 specified in the request does not match the redirect URIs configured for the application. Make sure…"};</script><div id="root"></div></html>'
    expect(page(body, 200)).toMatchObject({kind: 'redirect-uri-rejected', idp: 'entra', message: expect.stringContaining("The redirect URI 'http://127.0.0.1:43123/callback' specified")})
  })

  test('pageText drops scripts and tags and decodes entities', () => {
    expect(pageText('<script>var a="AADSTS50011"</script><p>a &amp; b&#39;s &lt;c&gt;</p>')).toBe("a & b's <c>")
  })
})
