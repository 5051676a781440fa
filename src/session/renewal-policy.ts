/**
 * When a ticket is renewed: the thresholds every part of pve-login uses (getSession, Session, the CLI's default
 * for how long a ticket must stay valid, sessionStatus's "renewal due"). Nothing else spells these numbers out.
 * PVE tickets live 2 h (pve-access-control src/PVE/AccessControl.pm).
 */
/** Renew when fewer than this many seconds of use are left (the default for getSession's minValidSeconds). */
export const DEFAULT_MIN_VALID_SECONDS = 3600
/** Session.keepAlive and requests renew once fewer than this many seconds are left (proxmox-login's REFRESH_EARLY_BY). */
export const RENEW_BEFORE_SECONDS = 1800
/**
 * After a renewal failed (PVE answered 500, timed out), no process tries again for this long while the cached ticket
 * is still usable: one attempt per window across every pve-login process of the machine (see lock.ts).
 */
export const RENEWAL_RETRY_AFTER_SECONDS = 60

/** How old the browser login behind a session is, in seconds; undefined when not recorded. */
export function loginAgeSeconds(loginAt: string | undefined, now: Date): number | undefined {
  if (loginAt === undefined) return undefined
  const at = Date.parse(loginAt)
  return Number.isNaN(at) ? undefined : (now.getTime() - at) / 1000
}

/**
 * Whether a session may still be renewed silently under maxSessionSeconds (the longest time since the browser
 * login): past it only a new browser login goes on, so a change at the IdP (a removed group, a disabled account;
 * PVE syncs groups only at login) takes effect. A session without a recorded login time counts as too old.
 */
export function mayRenewSilently(loginAt: string | undefined, now: Date, maxSessionSeconds: number | undefined): boolean {
  if (maxSessionSeconds === undefined) return true
  const age = loginAgeSeconds(loginAt, now)
  return age !== undefined && age < maxSessionSeconds
}
