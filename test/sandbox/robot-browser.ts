/**
 * A stand-in for the user's browser, usable as `BROWSER` or `--browser-command`:
 *
 *   node --import tsx test/sandbox/robot-browser.ts <authorization URL>
 *
 * It signs in at the sandbox IdP (ROBOT_USER / ROBOT_PASSWORD, default alice) or presses Cancel
 * (ROBOT_ACTION=deny), then opens the loopback redirect the IdP sends it to, as a browser would. Exit 0 once the
 * redirect was delivered; otherwise a message on stderr and exit 1. Never prints on stdout: the CLI under test
 * may own it. Passwords come from the environment only, never from the command line.
 */
import {appendFileSync} from 'node:fs'

import {DEFAULT_ROBOT_ACCOUNT, findIdpAccount} from './idp-accounts.js'
import {followStartUrl, signInAtIdp, type SignInAction} from './idp-sign-in.js'

function fail(message: string): never {
  process.stderr.write(`robot-browser: ${message}\n`)
  process.exit(1)
}

function signInAction(value: string | undefined): SignInAction {
  if (value === undefined || value === '' || value === 'login') return 'login'
  if (value === 'deny') return 'deny'
  return fail(`ROBOT_ACTION must be "login" or "deny", not "${value}"`)
}

/** Delivers the callback like a browser: a GET with ordinary headers; any HTTP answer counts as delivered. */
async function openRedirect(target: URL): Promise<void> {
  const response = await fetch(target, {
    headers: {accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'user-agent': 'pve-sandbox-robot-browser/1'},
    redirect: 'manual',
  })
  await response.arrayBuffer()
}

async function main(): Promise<void> {
  const given = process.argv.at(-1)
  if (!given || process.argv.length < 3 || !URL.canParse(given)) fail('usage: robot-browser.ts <start or authorization URL>')
  let url: string
  try {
    url = await followStartUrl(given)
  } catch (error) {
    fail(`could not open the start URL: ${(error as Error).message}`)
  }
  const action = signInAction(process.env.ROBOT_ACTION)
  const username = process.env.ROBOT_USER || DEFAULT_ROBOT_ACCOUNT.sub
  // The sandbox accounts' passwords are public; a wrong one is set explicitly to test rejection.
  const password = process.env.ROBOT_PASSWORD ?? findIdpAccount(username)?.password ?? ''

  let redirect: URL
  try {
    redirect = await signInAtIdp(url, {username, password, action})
  } catch (error) {
    fail((error as Error).message)
  }
  try {
    // For `npm run bench`: when the callback left the browser, to time pve-login's work after it.
    if (process.env.ROBOT_TIMING_FILE) appendFileSync(process.env.ROBOT_TIMING_FILE, `callback ${Date.now()}\n`)
    await openRedirect(redirect)
  } catch (error) {
    // Only the origin: the query holds the authorization code.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : (error as Error).message
    fail(`could not open the redirect to ${redirect.origin}${redirect.pathname}: ${cause}`)
  }
}

await main()
// Idle keep-alive sockets must not hold up the CLI that is waiting for its browser command to finish.
process.exit(0)
