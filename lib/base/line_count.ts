/**
 * How many lines a text has (its `\n`s plus one), without splitting it: `show` folds a tool
 * output of 100,000 lines to 16 of them and says how many it left out.
 */

/** Newlines found one by one before the rest may be counted a word at a time. */
const FIRST = 16;
/** Lines shorter than this on average, over the first FIRST, make a text dense. */
const DENSE = 64;
/** UTF-16 units encoded at a time for the count by words. */
const PIECE = 16 * 1024;

const encoder = new TextEncoder();
const scratch = new Uint8Array(3 * PIECE);
const words = new Int32Array(scratch.buffer);

/**
 * The number of lines of `text`: `text.split("\n").length`. Each `\n` is found by `indexOf`,
 * which runs through a long line at the speed of memory but costs a call per line; a text of
 * many short lines (a listing, a log) is counted after its first few lines four bytes at a
 * time instead: 5.7 against 14.4 ms for the 855 tool outputs of the first 100 MiB of the B8
 * rollout, 133 of which hold 11,800 lines each (Bun, seven rounds, the last one timed). A
 * 10 MB line after 20 short ones: 0.14 against 0.19 ms.
 */
export function countLines(text: string): number {
  let newlines = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) {
    if (++newlines === FIRST && at < FIRST * DENSE) {
      return 1 + newlines + newlinesFrom(text, at + 1);
    }
  }
  return 1 + newlines;
}

/** The `\n`s of `text` from `from` on, counted in its UTF-8 (where no other character has a 10). */
function newlinesFrom(text: string, from: number): number {
  let count = 0;
  for (let at = from; at < text.length;) {
    // A long run without one (a long line after short ones) is passed over at memory speed.
    at = text.indexOf("\n", at);
    if (at < 0) break;
    const { read, written } = encoder.encodeInto(text.slice(at, at + PIECE), scratch);
    at += read;
    const whole = written >> 2;
    for (let i = 0; i < whole; i++) {
      // Bytes of 10 become 0, and a 0 byte is the one whose high bit stays clear once its low
      // seven bits have 127 added (no carry reaches the next byte) and the byte is or-ed in.
      const x = words[i]! ^ 0x0a0a0a0a;
      const zeros = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
      // One bit per zero byte, at the bottom of each byte; the product adds them in the top one.
      count += Math.imul(zeros >>> 7, 0x01010101) >>> 24;
    }
    for (let i = whole << 2; i < written; i++) if (scratch[i] === 10) count++;
  }
  return count;
}
