/**
 * The one place text from elsewhere is made safe for a terminal. Text from the server or the IdP (the IdP's
 * error_description, PVE's message, a user or cluster name, a server's TLS error) can carry control characters,
 * which a terminal would take as escape sequences (clearing the screen, rewriting the line, setting the title,
 * OSC 52 writing the clipboard), and Unicode bidi controls, which reorder what the person reads. Shown as `\xNN`
 * and `\u{NNNN}` instead; the JSON forms keep the text as it came (JSON escapes control characters itself).
 */
export function forTerminal(text: string, options: {lineBreaks?: boolean} = {}): string {
  // Line breaks and tabs stay in multi-line text (an error report); a table cell must stay on one line.
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const controls = options.lineBreaks === false ? /[\u0000-\u001f\u007f-\u009f]/g : /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
  return text
    .replace(controls, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
}
