/**
 * When a ticket is renewed: the thresholds every part of pve-login uses (getSession, Session, the CLI's default
 * for how long a ticket must stay valid, sessionStatus's "renewal due"). Nothing else spells these numbers out.
 * PVE tickets live 2 h (pve-access-control src/PVE/AccessControl.pm).
 */
/** Renew when fewer than this many seconds of use are left (the default for getSession's minValidSeconds). */
export const DEFAULT_MIN_VALID_SECONDS = 3600
/** Session.keepAlive and requests renew once fewer than this many seconds are left (proxmox-login's REFRESH_EARLY_BY). */
export const RENEW_BEFORE_SECONDS = 1800
