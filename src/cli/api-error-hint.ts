/**
 * What `pve-login api` says when PVE refuses a call, keyed to the HTTP status: the library's hints are written for
 * any caller, these name the CLI's own flags and next steps. Statuses a proxy or PVE's own renewal explain better
 * (3xx, 502–504, a CSRF 401) keep the library's hint.
 */
import {PveApiError} from '../errors.js'

export function apiErrorHint(error: PveApiError, request: {method: string; path: string}): string | undefined {
  const {status} = error
  if (status === 400) return 'PVE refused the parameters; its message names each one. Pass them as -f KEY=VALUE (booleans as 1 or 0).'
  if (status === 401 && !/csrf/i.test(error.pveMessage)) return 'PVE refused the ticket (expired, or its ticket key rotated): log in again with `pve-login`.'
  if (status === 403) return 'Your PVE user lacks the privilege for this call (PVE\'s message names path and privilege); an administrator can grant it: `pveum acl modify PATH --users USER --roles ROLE`.'
  if (status === 404) return 'PVE found nothing there: check the node name, VM id or storage in the path.'
  if (status === 501) {
    return `PVE has no ${request.method} ${request.path}: check the path and the method (-X GET, POST, PUT or DELETE). The API viewer lists every call: https://pve.proxmox.com/pve-docs/api-viewer/`
  }
  if (status === 500) return 'PVE failed to carry out the call; its message says why. `journalctl -u pvedaemon -u pveproxy` on the node has the details.'
  return undefined
}

/** The same error with the CLI's hint for its status, or as it was. */
export function withApiHint(error: unknown, request: {method: string; path: string}): unknown {
  if (!(error instanceof PveApiError)) return error
  const hint = apiErrorHint(error, request)
  return hint === undefined ? error : new PveApiError(error.status, error.pveMessage, error.errors, {hint, cause: error})
}
