import type {IdpKind} from './doctor-check.js'

/**
 * What an IdP's authorization endpoint said to a plain GET of the URL PVE built (no browser, no cookies, no
 * login): a login page (or a redirect towards one), or its own error page about the redirect URI or the client.
 *
 * The texts below are each IdP's own wording. Where a source was found it is named; the others are marked
 * unverified and come from the IdP's documentation or issue reports as remembered, so a miss there falls back
 * to the generic OAuth error codes.
 */
export type AuthorizationVerdict =
  | {kind: 'login-page'; how: 'page' | 'redirect'}
  | {kind: 'redirect-uri-rejected'; idp?: IdpKind; message: string}
  | {kind: 'client-unknown'; idp?: IdpKind; message: string}
  /** The IdP sent the browser back to our redirect URI with `error=`: it accepted client and URI but refuses. */
  | {kind: 'error-redirect'; error: string; description?: string}
  | {kind: 'other-error'; status: number; message?: string}

interface ErrorPattern {
  pattern: RegExp
  kind: 'redirect-uri-rejected' | 'client-unknown'
  idp?: IdpKind
}

const PATTERNS: ErrorPattern[] = [
  // Microsoft Entra ID: AADSTS50011 "The redirect URI … does not match the redirect URIs configured for the
  // application", AADSTS700016 "Application with identifier … was not found in the directory" (learn.microsoft.com,
  // "Microsoft Entra authentication and authorization error codes").
  {pattern: /AADSTS50011\b/, kind: 'redirect-uri-rejected', idp: 'entra'},
  {pattern: /AADSTS700016\b/, kind: 'client-unknown', idp: 'entra'},
  // Keycloak's error page: "Invalid parameter: redirect_uri" and "Client not found." (the first in many public
  // reports and in third-party matchers of Keycloak's pages; the second unverified against Keycloak's source).
  {pattern: /Invalid parameter: redirect_uri/i, kind: 'redirect-uri-rejected', idp: 'keycloak'},
  {pattern: /Client not found\.?/, kind: 'client-unknown', idp: 'keycloak'},
  // Authelia (ory/fosite's hint): "The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's
  // pre-registered 'redirect_uris'." Unknown client: fosite's "The requested OAuth 2.0 Client does not exist."
  // (the second unverified).
  {pattern: /does not match any of the OAuth 2\.0 Client's pre-registered 'redirect_uris'/i, kind: 'redirect-uri-rejected', idp: 'authelia'},
  {pattern: /The requested OAuth 2\.0 Client does not exist/i, kind: 'client-unknown', idp: 'authelia'},
  // authentik's flow error: "The request fails due to a missing, invalid, or mismatching redirection URI
  // (redirect_uri)." (RFC 6749 §4.1.2.1 wording, seen in public reports); unknown client: "Invalid client
  // identifier (client_id)." (unverified).
  {pattern: /mismatching redirection URI|redirect_uri_no_match/i, kind: 'redirect-uri-rejected', idp: 'authentik'},
  {pattern: /Invalid client identifier/i, kind: 'client-unknown', idp: 'authentik'},
  // oidc-provider (panva/node-oidc-provider lib/shared/check_redirect_uri.js / errors.js): "redirect_uri did not
  // match any of the client's registered redirect_uris"; unknown client: invalid_client "client is invalid".
  {pattern: /redirect_uri did not match any of the client's registered redirect_uris/i, kind: 'redirect-uri-rejected', idp: 'oidc-provider'},
  // Okta: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings" (Okta developer
  // docs, error codes; unverified here).
  {pattern: /must be a Login redirect URI in the client app settings/i, kind: 'redirect-uri-rejected', idp: 'okta'},
  // Google: "Error 400: redirect_uri_mismatch"; "Error 401: invalid_client … The OAuth client was not found."
  // (developers.google.com OAuth 2.0 for native apps, error messages; unverified here).
  {pattern: /redirect_uri_mismatch/, kind: 'redirect-uri-rejected', idp: 'google'},
  {pattern: /The OAuth client was not found/i, kind: 'client-unknown', idp: 'google'},
  // ZITADEL: "The requested redirect_uri is missing in the client configuration." (unverified).
  {pattern: /redirect_uri is missing in the client configuration/i, kind: 'redirect-uri-rejected', idp: 'zitadel'},
  // Dex (server/handlers.go): "Unregistered redirect_uri" and "Invalid client_id" (unverified).
  {pattern: /Unregistered redirect_uri/i, kind: 'redirect-uri-rejected', idp: 'dex'},
  {pattern: /Invalid client_id/i, kind: 'client-unknown', idp: 'dex'},
  // Any IdP that shows the OAuth error code itself (RFC 6749 §4.1.2.1, OIDC Dynamic Registration §3.3).
  {pattern: /\binvalid_redirect_uri\b/, kind: 'redirect-uri-rejected'},
  {pattern: /\binvalid_client\b|client is invalid/i, kind: 'client-unknown'},
]

/** The page as text: tags dropped, the common entities decoded, white space collapsed. */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The IdP's own words, from the match to the end of its sentence (at most 200 characters). */
function excerpt(text: string, index: number, length: number): string {
  const rest = text.slice(index)
  const sentenceEnd = /[.!?](?:\s|$)/.exec(rest.slice(length))
  const end = Math.min(200, sentenceEnd ? length + sentenceEnd.index + 1 : length)
  return `${rest.slice(0, end).trim()}${end < rest.length && !sentenceEnd ? '…' : ''}`
}

export interface AuthorizationAnswer {
  status: number
  /** The Location header, resolved against the request URL. */
  location?: string
  body: string
}

/** Judges the answer of the authorization endpoint; `redirectUri` is the one PVE put into the URL. */
export function judgeAuthorizationAnswer(answer: AuthorizationAnswer, redirectUri: string): AuthorizationVerdict {
  if (answer.status >= 300 && answer.status < 400 && answer.location) {
    const target = new URL(answer.location)
    const back = new URL(redirectUri)
    if (target.origin === back.origin && target.pathname === back.pathname) {
      const error = target.searchParams.get('error')
      if (error) {
        const description = target.searchParams.get('error_description') ?? undefined
        return {kind: 'error-redirect', error, ...(description ? {description} : {})}
      }
    }
    return {kind: 'login-page', how: 'redirect'}
  }
  const text = pageText(answer.body)
  // Some IdPs render the error from data in a script (Entra's page puts it in `$Config`, JSON-escaped), so the raw
  // page is searched too, after the visible text.
  const raw = answer.body.replace(/\\u([0-9a-f]{4})/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16))).replace(/\\"/g, '"')
  for (const source of [text, raw]) {
    for (const {pattern, kind, idp} of PATTERNS) {
      const match = pattern.exec(source)
      if (match) return {kind, ...(idp ? {idp} : {}), message: excerpt(source, match.index, match[0].length)}
    }
  }
  if (answer.status >= 200 && answer.status < 300) return {kind: 'login-page', how: 'page'}
  return {kind: 'other-error', status: answer.status, ...(text ? {message: text.slice(0, 200)} : {})}
}
