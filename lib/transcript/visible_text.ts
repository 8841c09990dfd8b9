/**
 * Stored text shown on a terminal: control characters (ESC, BEL, C1 codes, ...) become visible
 * symbols, so a transcript can never move the cursor, retitle the window or write the clipboard.
 */

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// deno-lint-ignore no-control-regex
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

function symbolOf(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return "\ufffd";
}

/** `text` with control characters shown as symbols; `\n` and `\t` kept unless `oneLine`. */
export function visible(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(options.oneLine === true ? CONTROL_OR_NEWLINE : CONTROL, symbolOf);
}
