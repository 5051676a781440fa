import {createServer} from 'node:net'

import {canOpenBrowser} from '../login/browser.js'
import {LOOPBACK_ADDRESS} from '../login/loopback-listener.js'
import type {CheckResult} from './doctor-check.js'
import type {DoctorContext} from './doctor-context.js'

/** Check 10: what this computer must offer a login: a loopback port, somewhere to keep tickets, a browser. */

function bind(port: number): Promise<number | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error))
    server.listen(port, LOOPBACK_ADDRESS, () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port))
    })
  })
}

export async function checkLoopback(context: DoctorContext): Promise<CheckResult> {
  const ports = context.ports?.length ? context.ports : [0]
  const busy: number[] = []
  const free: number[] = []
  for (const port of ports) {
    const outcome = await bind(port)
    if (typeof outcome === 'number') free.push(outcome)
    else busy.push(port)
  }
  if (!context.ports?.length) {
    return free.length
      ? {check: 'loopback', status: 'ok', detail: `A port on ${LOOPBACK_ADDRESS} can be bound for the redirect (got ${free[0]}).`}
      : {check: 'loopback', status: 'fail', detail: `No port can be bound on ${LOOPBACK_ADDRESS}.`, fix: {kind: 'free-port', ports: []}}
  }
  if (busy.length === 0) return {check: 'loopback', status: 'ok', detail: `Every given port is free on ${LOOPBACK_ADDRESS}: ${free.join(', ')}.`}
  const detail = `Taken on ${LOOPBACK_ADDRESS}: ${busy.join(', ')}${free.length ? `; free: ${free.join(', ')} (the login uses the first free one)` : ''}.`
  return {check: 'loopback', status: free.length ? 'warn' : 'fail', detail, fix: {kind: 'free-port', ports: busy}}
}

export async function checkStore(context: DoctorContext): Promise<CheckResult> {
  const outcome = (await context.listing) ?? {}
  if (outcome.error) return {check: 'store', status: 'fail', detail: outcome.error.message}
  if (context.store.kind === 'none') return {check: 'store', status: 'warn', detail: 'Tickets are not kept (store none): every run needs a browser login.'}
  if (outcome.fallback) return {check: 'store', status: 'warn', detail: `${outcome.fallback.replace(/\.?$/, '.')} Tickets go to ${context.store.location} instead.`, fix: {kind: 'store-fallback', location: context.store.location}}
  const count = outcome.listing?.records.length ?? 0
  return {check: 'store', status: 'ok', detail: `Tickets are kept in ${context.store.location} (${count} session${count === 1 ? '' : 's'} stored).`}
}

export function checkBrowser(context: DoctorContext): CheckResult {
  if (context.browserCommand) return {check: 'browser', status: 'ok', detail: 'A browser command is given; the login runs it with the IdP URL.'}
  if (context.env.BROWSER?.trim()) return {check: 'browser', status: 'ok', detail: 'BROWSER is set; the login runs it with the IdP URL.'}
  if (canOpenBrowser(context.env)) return {check: 'browser', status: 'ok', detail: 'A browser can be opened here.'}
  return {
    check: 'browser',
    status: 'warn',
    detail: 'No browser can be opened here (an SSH session, or no display): the login shows the URL to open elsewhere and takes the address the browser ends on, pasted.',
    fix: {kind: 'paste-route'},
  }
}
