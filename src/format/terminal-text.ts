/**
 * Text from elsewhere (the IdP's error_description, PVE's message, a cluster name, a server's TLS error) can carry
 * control characters, which a terminal would take as escape sequences (clearing the screen, rewriting the line,
 * setting the title). Shown as `\xNN` instead; the JSON forms keep the text as it came.
 */
export function forTerminal(text: string, options: {lineBreaks?: boolean} = {}): string {
  // Line breaks and tabs stay in multi-line text (an error report); a table cell must stay on one line.
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const controls = options.lineBreaks === false ? /[\u0000-\u001f\u007f-\u009f]/g : /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
  return text.replace(controls, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
