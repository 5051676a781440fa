import {escapeHtml} from './html-escape.js'

/**
 * The identity provider's HTML. Deliberately bare: the robot browser and the tests find fields by name, and a
 * human using the sandbox by hand only needs to see what to type. Every interpolated value is escaped.
 */
function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`
}

export interface LoginPageInput {
  interactionUid: string
  clientId: string
  /** Shown after a failed attempt. */
  problem?: string
  username?: string
  /** The provider's mount path ('' at the origin). */
  basePath?: string
}

export function renderLoginPage(input: LoginPageInput): string {
  const uid = encodeURIComponent(input.interactionUid)
  const base = escapeHtml(input.basePath ?? '')
  const problem = input.problem ? `<p class="problem" role="alert">${escapeHtml(input.problem)}</p>\n` : ''
  return page(
    'Sandbox identity provider: sign in',
    `<p>Client: <code>${escapeHtml(input.clientId)}</code></p>
${problem}<form method="post" action="${base}/interaction/${uid}/login">
<label>User <input name="username" autocomplete="username" value="${escapeHtml(input.username ?? '')}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${base}/interaction/${uid}/abort">
<button type="submit" name="cancel" value="1">Cancel</button>
</form>`,
  )
}

/** Errors the IdP cannot send back to the client (bad redirect_uri, unknown client, lost interaction). */
export function renderErrorPage(fields: Record<string, string>): string {
  const rows = Object.entries(fields)
    .map(([key, value]) => `<p class="${escapeHtml(key)}"><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
    .join('\n')
  return page('Sandbox identity provider: error', rows)
}
