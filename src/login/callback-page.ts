/**
 * The pages the loopback listener shows in the browser. Small and self-contained (no scripts, no external resources,
 * inline CSS and SVG only), never showing the authorization code, and always saying what to do next.
 */
export interface CallbackPage {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Headers for every page: not cached (the URL carries a one-time code), nothing loaded, no Referer sent onwards.
 * `img-src data:` is for the inline favicon only: without an icon in the page the browser asks the listener for
 * /favicon.ico and logs a 404.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
}

const CLOSE_TAB = 'You can close this tab and return to the terminal.'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

type Tone = 'ok' | 'error'

const COLORS: Record<Tone, string> = {ok: '#1a7f37', error: '#b42318'}

/** A round badge with a check mark or a cross, as SVG: the favicon (as a data: URL) and the page's emblem. */
function badge(tone: Tone): string {
  const mark = tone === 'ok' ? 'M9 16.5l4.5 4.5L23 11' : 'M11 11l10 10M21 11L11 21'
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><circle cx="16" cy="16" r="16" fill="${COLORS[tone]}"/><path d="${mark}" fill="none" stroke="#fff" stroke-width="3.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`
}

function favicon(tone: Tone): string {
  return `data:image/svg+xml,${encodeURIComponent(badge(tone))}`
}

const STYLE = [
  'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f6f8fa;color:#1f2328}',
  'main{background:#fff;border:1px solid #d0d7de;border-radius:12px;box-shadow:0 8px 24px rgba(140,149,159,.2);padding:2em 2.4em;max-width:34em;margin:1em}',
  'header{display:flex;align-items:center;gap:.8em;margin-bottom:1em}',
  'header svg{flex:none;width:2.2em;height:2.2em}',
  'h1{font-size:1.35em;margin:0}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1.2em;margin:1em 0;padding:.8em 1em;background:#f6f8fa;border-radius:8px}',
  'dt{color:#59636e}dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}',
  'p{margin:.6em 0}.next{color:#59636e;font-size:.95em}',
  '@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}main{background:#161b22;border-color:#30363d;box-shadow:none}dl{background:#0d1117}dt,.next{color:#9198a1}}',
].join('')

function page(status: number, title: string, content: {paragraphs: string[]; facts?: Array<[string, string]>; next: string}, tone: Tone): CallbackPage {
  const facts = content.facts?.length
    ? `<dl>${content.facts.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>\n`
    : ''
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - pve-login</title>
<link rel="icon" href="${favicon(tone)}">
<style>h1{color:${COLORS[tone]}}${STYLE}</style>
</head><body><main>
<header>${badge(tone)}<h1>${escapeHtml(title)}</h1></header>
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${facts}<p class="next">${escapeHtml(content.next)}</p>
</main></body></html>
`
  return {status, headers: {...PAGE_HEADERS}, body}
}

/** Who is now signed in where: shown on the page, so a person with several clusters sees which one this was. */
export interface SignedInDetails {
  username: string
  /** The PVE server's origin, e.g. `https://pve.example.com:8006`. */
  server?: string
  /** PVE's cluster name, when the node is part of a cluster. */
  clusterName?: string
}

/** PVE accepted the login. */
export function signedInPage({username, server, clusterName}: SignedInDetails): CallbackPage {
  const facts: Array<[string, string]> = []
  if (server) facts.push(['Server', server])
  if (clusterName) facts.push(['Cluster', clusterName])
  facts.push(['User', username])
  const where = server ? ` at ${hostOf(server)}${clusterName ? ` (cluster ${clusterName})` : ''}` : ''
  return page(200, 'Signed in to Proxmox VE', {paragraphs: [`You are signed in as ${username}${where}.`], facts, next: CLOSE_TAB}, 'ok')
}

function hostOf(server: string): string {
  try {
    return new URL(server).host
  } catch {
    return server
  }
}

/** The IdP answered with `error=…`: show what it said (escaped) and where to look next. */
export function idpErrorPage(error: string, description: string | undefined): CallbackPage {
  return page(
    200,
    'Sign-in refused by the identity provider',
    {paragraphs: [`The identity provider answered: ${error}${description ? ` (${description})` : ''}.`], next: `${CLOSE_TAB} The terminal shows what to try next.`},
    'error',
  )
}

/** The code arrived, but the login did not complete (PVE refused it, or the terminal side gave up). */
export function loginFailedPage(reason: string): CallbackPage {
  return page(200, 'Sign-in did not complete', {paragraphs: [reason], next: `${CLOSE_TAB} The terminal shows the details and what to try next.`}, 'error')
}

/** A request this login cannot use (wrong path, method, host or state). The login keeps waiting. */
export function rejectedPage(status: 400 | 404 | 405, reason: string): CallbackPage {
  return page(
    status,
    'Not a sign-in for this login',
    {paragraphs: [reason], next: 'The login in your terminal is still waiting. If you started a new login, use the browser tab it opened.'},
    'error',
  )
}
