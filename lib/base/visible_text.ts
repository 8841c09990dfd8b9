/**
 * Stored text shown to a person: control characters (ESC, BEL, C1 codes, ...) become visible
 * symbols and bidirectional overrides are named, so a transcript can never move the cursor,
 * retitle the window, write the clipboard or reorder what is shown (Trojan Source).
 */

// C0 but tab and newline, DEL, C1; the bidi embeddings, overrides and isolates.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function symbolOf(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  if (code <= 0x9f) return "\ufffd";
  return `\u27e8U+${code.toString(16).toUpperCase()}\u27e9`;
}

/**
 * `text` with control characters shown as symbols (`␛`, `␇`, `�` for C1) and bidi controls
 * named (`⟨U+202E⟩`); `\n` and `\t` kept unless `oneLine`, which shows `\n` as `␊`.
 */
export function visible(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(options.oneLine === true ? CONTROL_OR_NEWLINE : CONTROL, symbolOf);
}

/** Whether a command's output is coloured: stdout is a terminal and NO_COLOR is not set. */
export function wantsColour(
  stdoutIsTTY: boolean,
  env: Record<string, string | undefined>,
): boolean {
  return stdoutIsTTY && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}
