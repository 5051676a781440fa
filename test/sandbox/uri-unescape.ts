/** Perl URI::Escape's uri_unescape: decodes %XX byte escapes, leaves malformed ones alone, never throws. */
export function uriUnescape(value: string): string {
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}
