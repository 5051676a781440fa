/**
 * The pages the loopback listener shows in the browser. Small and self-contained (no scripts, no external resources,
 * inline CSS only), never showing the authorization code, and always saying what to do next.
 */
export interface CallbackPage {
  status: number
  headers: Record<string, string>
  body: string
}

/** Headers for every page: not cached (the URL carries a one-time code), nothing loaded, no Referer sent onwards. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
}

const CLOSE_TAB = 'You can close this tab and return to the terminal.'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(status: number, title: string, paragraphs: string[], tone: 'ok' | 'error'): CallbackPage {
  const color = tone === 'ok' ? '#1a7f37' : '#b42318'
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - pve-login</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:12vh auto;padding:0 1em;color:#1f2328}h1{font-size:1.4em;color:${color}}p{margin:.6em 0}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
</body></html>
`
  return {status, headers: {...PAGE_HEADERS}, body}
}

/** PVE accepted the login. */
export function signedInPage(username: string): CallbackPage {
  return page(200, 'Signed in to Proxmox VE', [`You are signed in as ${username}.`, CLOSE_TAB], 'ok')
}

/** The IdP answered with `error=…`: show what it said (escaped) and where to look next. */
export function idpErrorPage(error: string, description: string | undefined): CallbackPage {
  return page(
    200,
    'Sign-in refused by the identity provider',
    [`The identity provider answered: ${error}${description ? ` (${description})` : ''}.`, `${CLOSE_TAB} The terminal shows what to try next.`],
    'error',
  )
}

/** The code arrived, but the login did not complete (PVE refused it, or the terminal side gave up). */
export function loginFailedPage(reason: string): CallbackPage {
  return page(200, 'Sign-in did not complete', [reason, `${CLOSE_TAB} The terminal shows the details and what to try next.`], 'error')
}

/** A request this login cannot use (wrong path, method, host or state). The login keeps waiting. */
export function rejectedPage(status: 400 | 404 | 405, reason: string): CallbackPage {
  return page(
    status,
    'Not a sign-in for this login',
    [reason, 'The login in your terminal is still waiting. If you started a new login, use the browser tab it opened.'],
    'error',
  )
}
