/**
 * The numbers of pve-login's API tokens, apart from the code that mints them, so that the CLI's flag parsing (on
 * `env`'s fast path) does not load crypto and the PVE calls just to check a --api-token-ttl.
 */
/** 8 hours: a long Terraform or Packer run, with room. */
export const DEFAULT_API_TOKEN_TTL_SECONDS = 8 * 3600
/** 7 days: the longest a token minted by pve-login may live. It is meant to end with a run, not to be kept. */
export const MAX_API_TOKEN_TTL_SECONDS = 7 * 86_400
/** Every token pve-login creates has an id `pve-login-<8 hex>`; `api-tokens` recognises them by it and the comment. */
export const API_TOKEN_ID_PREFIX = 'pve-login-'
