import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Provider} from 'oidc-provider'

import {checkIdpPassword} from './idp-accounts.js'
import type {IdpEventLog} from './idp-event-log.js'
import {renderErrorPage, renderLoginPage} from './idp-pages.js'
import {readRequestBody} from './request-body.js'

const INTERACTION_PATH = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/

/** The interaction pages are ours, not oidc-provider's dev pages: they check passwords and offer Cancel. */
export function isInteractionPath(pathname: string): boolean {
  return INTERACTION_PATH.test(pathname)
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store'})
  response.end(html)
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readRequestBody(request))
}

export async function handleInteraction(
  provider: Provider,
  events: IdpEventLog,
  request: IncomingMessage,
  response: ServerResponse,
  /** The provider's mount path ('' at the origin): the login page's forms post below it. */
  basePath = '',
): Promise<void> {
  const pathname = new URL(request.url ?? '/', 'http://idp.invalid').pathname
  const [, rawUid, action] = INTERACTION_PATH.exec(pathname) ?? []
  try {
    const interaction = await provider.interactionDetails(request, response)
    // The interaction cookie decides which interaction this is; a URL naming another one is stale or forged.
    if (decodeURIComponent(rawUid ?? '') !== interaction.uid) {
      sendHtml(response, 400, renderErrorPage({error: 'invalid_request', error_description: 'interaction mismatch'}))
      return
    }
    const clientId = String(interaction.params.client_id ?? '')

    if (request.method === 'POST' && action === 'abort') {
      await provider.interactionFinished(
        request,
        response,
        {error: 'access_denied', error_description: 'End-User aborted interaction'},
        {mergeWithLastSubmission: false},
      )
      return
    }

    if (request.method === 'POST' && action === 'login') {
      const form = await readForm(request)
      const username = form.get('username') ?? ''
      const account = checkIdpPassword(username, form.get('password') ?? '')
      if (!account) {
        events.record({event: 'interaction.login_failed', error: 'invalid_credentials', client_id: clientId})
        sendHtml(
          response,
          200,
          renderLoginPage({interactionUid: interaction.uid, clientId, username, problem: 'Invalid user or password.', basePath}),
        )
        return
      }
      await provider.interactionFinished(request, response, {login: {accountId: account.sub}}, {mergeWithLastSubmission: false})
      return
    }

    if (request.method === 'GET' && action === undefined && interaction.prompt.name === 'login') {
      sendHtml(response, 200, renderLoginPage({interactionUid: interaction.uid, clientId, basePath}))
      return
    }

    if (request.method === 'GET' && action === undefined && interaction.prompt.name === 'consent') {
      // loadExistingGrant normally makes consent unnecessary; this is the fallback for the same policy.
      const accountId = interaction.session?.accountId
      if (!accountId) throw new Error('consent requested without a signed-in account')
      const grant = new provider.Grant({accountId, clientId})
      grant.addOIDCScope('openid email profile')
      const grantId = await grant.save()
      await provider.interactionFinished(request, response, {consent: {grantId}}, {mergeWithLastSubmission: true})
      return
    }

    sendHtml(response, 405, renderErrorPage({error: 'invalid_request', error_description: 'unsupported interaction step'}))
  } catch (error) {
    const description = error instanceof Error ? error.message : String(error)
    events.record({event: 'interaction.error', error: 'invalid_request', error_description: description})
    if (!response.headersSent) sendHtml(response, 400, renderErrorPage({error: 'invalid_request', error_description: description}))
    else response.end()
  }
}
