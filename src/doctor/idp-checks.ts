import {randomBytes} from 'node:crypto'

import {PveLoginError} from '../errors.js'
import type {CheckResult, RealmFacts} from './doctor-check.js'
import type {DoctorContext} from './doctor-context.js'
import {judgeAuthorizationAnswer} from './idp-error-page.js'
import {discoveryUrl, issuerCandidates, sameEndpoint} from './issuer-candidates.js'
import {anyLoopbackPort} from './idp-kind.js'

/** Checks 6–8: the IdP as this computer sees it, through the URL PVE built. Nothing here completes a login. */

export function realmFacts(context: DoctorContext): RealmFacts {
  const settings = context.realmSettings
  const issuer = settings?.issuerUrl ?? context.discovery?.issuer
  const clientId = context.clientId ?? settings?.clientId
  return {
    realm: context.realm!,
    ...(issuer ? {issuer} : {}),
    ...(clientId ? {clientId} : {}),
    ...(settings?.usernameClaim ? {usernameClaim: settings.usernameClaim} : {}),
    idp: context.idpKind,
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : undefined
}

/** Finds the discovery document whose authorization_endpoint is the one PVE sends the browser to. */
export async function checkDiscovery(context: DoctorContext): Promise<CheckResult> {
  const authorizationUrl = context.authorizationUrl!
  const candidates = issuerCandidates(authorizationUrl, context.realmSettings?.issuerUrl)
  const tried: string[] = []
  let unreachable: Error | undefined
  for (const issuer of candidates) {
    const url = discoveryUrl(issuer)
    tried.push(url)
    let metadata: Record<string, unknown>
    try {
      const answer = await context.idp.getJson(url)
      if (answer.status !== 200) continue
      metadata = JSON.parse(answer.body) as Record<string, unknown>
    } catch (error) {
      if (error instanceof PveLoginError && error.code === 'ABORTED') throw error
      if (error instanceof PveLoginError) unreachable ??= error
      continue
    }
    if (typeof metadata !== 'object' || metadata === null || !sameEndpoint(metadata.authorization_endpoint, authorizationUrl)) continue
    const found = typeof metadata.issuer === 'string' ? metadata.issuer : issuer
    context.discovery = {issuer: found, metadata}
    const responseTypes = stringList(metadata.response_types_supported)
    if (responseTypes && !responseTypes.some((type) => type.split(' ').includes('code') && type.split(' ').length === 1)) {
      return {check: 'discovery', status: 'fail', detail: `Issuer ${found} does not offer the authorization code flow (response_types_supported: ${responseTypes.join(', ')}).`, fix: {kind: 'enable-code-flow', idp: context.idpKind}}
    }
    const realmIssuer = context.realmSettings?.issuerUrl
    if (realmIssuer && realmIssuer !== found) {
      return {check: 'discovery', status: 'warn', detail: `The discovery document at ${url} names issuer ${found}, but the realm's issuer-url is ${realmIssuer}; PVE compares them exactly.`}
    }
    return {check: 'discovery', status: 'ok', detail: `Issuer ${found} (discovery at ${url}) offers the authorization code flow.`}
  }
  if (unreachable && tried.length === candidates.length) {
    return {check: 'discovery', status: 'warn', detail: `${unreachable.message} The browser on this computer must reach it for a login.`}
  }
  return {
    check: 'discovery',
    status: 'fail',
    detail: `No discovery document found whose authorization_endpoint is ${new URL(authorizationUrl).origin}${new URL(authorizationUrl).pathname} (tried ${tried.length}).`,
    fix: {kind: 'issuer-not-found', tried, realmSettingsRead: context.realmSettings?.issuerUrl !== undefined},
  }
}

/** PVE always sends code_challenge_method=S256 (proxmox-openid since its first commit); the IdP must accept it. */
export function checkPkce(context: DoctorContext): CheckResult {
  const methods = stringList(context.discovery!.metadata.code_challenge_methods_supported)
  if (!methods) {
    return {
      check: 'pkce',
      status: 'warn',
      detail: 'The IdP does not say which PKCE methods it supports (no code_challenge_methods_supported). PVE always sends S256; most IdPs accept it without saying so.',
    }
  }
  if (methods.includes('S256')) return {check: 'pkce', status: 'ok', detail: `PKCE S256 is supported (${methods.join(', ')}).`}
  return {check: 'pkce', status: 'fail', detail: `The IdP offers PKCE ${methods.join(', ') || 'with no method'} but not S256, which PVE always sends.`, fix: {kind: 'enable-s256', idp: context.idpKind}}
}

/**
 * PVE 7 and 8 (proxmox-openid on openidconnect 2.x) accept RS256-signed ID tokens only; PVE 9 (openidconnect 4)
 * accepts what discovery lists. An IdP that signs with ES256 or HS256 then fails at PVE with its bare 401.
 */
export function checkIdTokenSigning(context: DoctorContext): CheckResult {
  const algs = stringList(context.discovery!.metadata.id_token_signing_alg_values_supported) ?? []
  const version = context.pveVersion
  const major = version ? Number(version.split('.')[0]) : undefined
  const listed = algs.join(', ') || 'none listed'
  if (algs.includes('RS256')) {
    return {check: 'id-token-signing', status: 'ok', detail: `The IdP signs ID tokens with RS256 among others (${listed}); every PVE release accepts RS256.`}
  }
  const fix = {kind: 'sign-with-rs256', idp: context.idpKind, advertised: algs, ...(version ? {pveVersion: version} : {})} as const
  if (major === undefined) {
    return {check: 'id-token-signing', status: 'warn', detail: `The IdP signs ID tokens with ${listed}, not RS256: PVE 7 and 8 accept RS256 only (PVE 9 accepts these); the PVE version is unknown.`, fix}
  }
  if (major < 9) {
    return {check: 'id-token-signing', status: 'fail', detail: `The IdP signs ID tokens with ${listed}, but PVE ${version} accepts RS256 only: every login ends in PVE's bare 401.`, fix}
  }
  const symmetric = algs.every((alg) => alg.startsWith('HS'))
  if (symmetric && !context.realmSettings?.hasClientKey) {
    return {check: 'id-token-signing', status: 'fail', detail: `The IdP signs ID tokens with ${listed} only; PVE refuses symmetric signatures for a realm without client-key.`, fix}
  }
  return {check: 'id-token-signing', status: 'ok', detail: `The IdP signs ID tokens with ${listed}; PVE ${version} accepts what discovery lists.`}
}

/** The redirect URI a person registers: the port-less loopback form where the IdP ignores ports, else the exact one. */
function uriToRegister(context: DoctorContext): string {
  const redirectUrl = new URL(context.redirectUrl!)
  if (anyLoopbackPort(context.idpKind) && !context.ports?.length) {
    const host = context.idpKind === 'entra' ? 'localhost' : redirectUrl.hostname
    return `http://${host}${redirectUrl.pathname}`
  }
  return redirectUrl.href
}

/** A plain GET of the IdP URL: a login page (or a redirect to one), or the IdP's own error page. */
export async function checkAuthorization(context: DoctorContext): Promise<CheckResult> {
  const answer = await context.idp.get(context.authorizationUrl!)
  const verdict = judgeAuthorizationAnswer(answer, context.redirectUrl!)
  const facts = realmFacts(context)
  if ('idp' in verdict && verdict.idp && context.idpKind === 'generic') context.idpKind = facts.idp = verdict.idp
  switch (verdict.kind) {
    case 'login-page':
      return {check: 'authorization', status: 'ok', detail: `The IdP accepts client ${facts.clientId} with redirect URI ${context.redirectUrl}: it ${verdict.how === 'redirect' ? 'redirects to its sign-in' : 'shows a page'} (HTTP ${answer.status}).`}
    case 'redirect-uri-rejected':
      return {
        check: 'authorization',
        status: 'fail',
        detail: `The IdP refuses redirect URI ${context.redirectUrl} for client ${facts.clientId}: "${verdict.message}"`,
        fix: {kind: 'register-redirect-uri', facts, redirectUri: uriToRegister(context), idpMessage: verdict.message},
      }
    case 'client-unknown':
      return {check: 'authorization', status: 'fail', detail: `The IdP does not know client ${facts.clientId}: "${verdict.message}"`, fix: {kind: 'fix-client-id', facts, idpMessage: verdict.message}}
    case 'error-redirect':
      return {check: 'authorization', status: 'fail', detail: `The IdP accepted client and redirect URI but answers ${verdict.error}${verdict.description ? `: ${verdict.description}` : ''}.`}
    case 'other-error':
      return {check: 'authorization', status: 'warn', detail: `The IdP answered HTTP ${verdict.status}${verdict.message ? `: "${verdict.message}"` : ''}; this is not a sign-in page.`}
  }
}

/**
 * Is the IdP's client public? A token request with a made-up code, our client_id, no secret and a PKCE verifier:
 * `invalid_grant` means the IdP took us for a public client and only the code was wrong; `invalid_client` or
 * `unauthorized_client` means it wants the client to authenticate. The code is random, so no login can complete.
 */
export async function checkClientType(context: DoctorContext): Promise<CheckResult> {
  const tokenEndpoint = context.discovery!.metadata.token_endpoint
  if (typeof tokenEndpoint !== 'string') return {check: 'client-type', status: 'warn', detail: 'The discovery document names no token_endpoint.'}
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: `pve-login-doctor-${randomBytes(16).toString('base64url')}`,
    code_verifier: randomBytes(32).toString('base64url'),
    redirect_uri: context.redirectUrl!,
    client_id: context.clientId!,
  })
  const answer = await context.idp.postForm(tokenEndpoint, form)
  let error: string | undefined
  let description: string | undefined
  try {
    const body = JSON.parse(answer.body) as {error?: unknown; error_description?: unknown}
    if (typeof body.error === 'string') error = body.error
    if (typeof body.error_description === 'string') description = body.error_description
  } catch {
    // Not JSON: judged below by status.
  }
  const facts = realmFacts(context)
  const settings = context.realmSettings
  const said = `${error ?? `HTTP ${answer.status}`}${description ? ` (${description.slice(0, 160)})` : ''}`
  const wantsSecret = error === 'invalid_client' || error === 'unauthorized_client' || (error === 'invalid_request' && /client[_ ]secret/i.test(description ?? ''))
  if (error === 'invalid_grant') {
    if (!settings) return {check: 'client-type', status: 'warn', detail: `The IdP treats ${facts.clientId} as a public client (${said}): the realm must have no client-key, and whether it has one is unknown.`, fix: {kind: 'delete-client-key', facts, certain: false}}
    if (settings.hasClientKey) return {check: 'client-type', status: 'fail', detail: `The IdP treats ${facts.clientId} as a public client (${said}), but realm ${facts.realm} has a client-key: PVE sends it, and the IdP refuses the code exchange.`, fix: {kind: 'delete-client-key', facts, certain: true}}
    return {check: 'client-type', status: 'ok', detail: `The IdP treats ${facts.clientId} as a public client (${said}), and realm ${facts.realm} sends no client-key.`}
  }
  if (wantsSecret) {
    if (!settings) return {check: 'client-type', status: 'warn', detail: `The IdP wants ${facts.clientId} to authenticate (${said}): the realm needs its client-key, and whether it has one is unknown.`, fix: {kind: 'client-needs-secret', facts, certain: false}}
    if (!settings.hasClientKey) return {check: 'client-type', status: 'fail', detail: `The IdP wants ${facts.clientId} to authenticate (${said}), but realm ${facts.realm} has no client-key: the IdP refuses the code exchange.`, fix: {kind: 'client-needs-secret', facts, certain: true}}
    return {check: 'client-type', status: 'ok', detail: `The IdP treats ${facts.clientId} as a confidential client (${said}), and realm ${facts.realm} sends its client-key.`}
  }
  return {check: 'client-type', status: 'warn', detail: `The IdP's token endpoint answered ${said}, which says nothing about the client type.`}
}
