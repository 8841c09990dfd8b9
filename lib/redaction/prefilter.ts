/**
 * The prefilter: does a text hold any word that every rule's match starts from (a token
 * prefix, `-----BEGIN`, `://`, a secret keyword)? Most of a transcript holds none, and is
 * passed over after one look at each byte: an Aho–Corasick automaton over the words, letters
 * folded to lower case, run as one table indexed by state and byte over the text's UTF-8
 * (written into a scratch buffer by `TextEncoder.encodeInto`, which copies ASCII at memory
 * speed): one load per byte (`scripts/bench_redaction.ts` prints what it costs per KB).
 */

/** Anchors, in lower case; a superset of what the rules (rules.ts) can start from. */
const ANCHORS: readonly string[] = [
  "sk-",
  "sk_",
  "rk_",
  "whsec_",
  "akia",
  "asia",
  "abia",
  "acca",
  "aiza",
  "ghp_",
  "gho_",
  "ghu_",
  "ghs_",
  "ghr_",
  "github_pat_",
  ...["pat", "dt", "rt", "cbt", "ptt", "ft", "imt", "agent", "oas", "soat", "ffct"].map((k) =>
    `gl${k}-`
  ),
  "xox",
  "xapp-",
  "hooks.slack",
  "npm_",
  "pypi-",
  "eyj",
  "-----begin",
  "://",
  // `://` in a JSON text whose writer escaped the slashes.
  ":\\/\\/",
  // A printable ASCII character written as a `\u` escape (`\u0073k-` is `sk-`): any anchor
  // may hide behind one. JSON writers escape only control characters (`\u001b`), never these.
  ...["2", "3", "4", "5", "6", "7"].map((d) => `\\u00${d}`),
  "passw",
  "passp",
  "pwd",
  "secret",
  "token",
  "credential",
  "authorization",
  "bearer",
  ...["api", "access", "private", "auth", "encryption", "signing", "master"].flatMap((w) =>
    ["", "_", "-", " ", "."].map((sep) => `${w}${sep}key`)
  ),
  "app_key",
];

/** Bytes in the table's rows: every value of a UTF-8 byte. */
const WIDTH = 256;

/**
 * The automaton as one table: for a state's row offset (state × WIDTH) plus a byte, the next
 * state's row offset, or -1 where an anchor ends. Each row starts as a copy of its failure
 * state's row (Aho–Corasick, breadth first), then takes its own trie edges, upper case
 * letters as lower case: the bytes of multi-byte characters (128 and up) are in no anchor.
 * A state where an anchor ends is never left (the scan stops there), so its row stays empty.
 */
function build(anchors: readonly string[]): Int32Array {
  // The trie: each state's edges by character code.
  const edges: Map<number, number>[] = [new Map()];
  const ends: boolean[] = [false];
  for (const anchor of anchors) {
    let state = 0;
    for (let i = 0; i < anchor.length; i++) {
      const c = anchor.charCodeAt(i);
      let next = edges[state]!.get(c);
      if (next === undefined) {
        next = edges.length;
        edges.push(new Map());
        ends.push(false);
        edges[state]!.set(c, next);
      }
      state = next;
    }
    ends[state] = true;
  }
  const table = new Int32Array(edges.length * WIDTH);
  const fail = new Int32Array(edges.length);
  const queue = [0];
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    const row = state * WIDTH;
    const failRow = fail[state]! * WIDTH;
    if (state !== 0) table.copyWithin(row, failRow, failRow + WIDTH);
    for (const [c, next] of edges[state]!) {
      // The failure state of `next`: where the failure state of this one goes on `c`; -1
      // when an anchor ends there, so `next` holds one too.
      const to = state === 0 ? 0 : table[failRow + c]!;
      fail[next] = Math.max(to, 0) / WIDTH;
      const end = ends[next]! || to < 0;
      const target = end ? -1 : next * WIDTH;
      table[row + c] = target;
      if (c >= 97 && c <= 122) table[row + (c & ~32)] = target;
      if (!end) queue.push(next);
    }
  }
  return table;
}

/** The table, built on first use: a command that never redacts does not wait for it. */
let table: Int32Array | null = null;
/** Bytes a lane reads past its quarter, so that an anchor across the border is found. */
const OVERLAP = Math.max(...ANCHORS.map((anchor) => anchor.length)) - 1;

const encoder = new TextEncoder();
/** Where a text's UTF-8 is written to be scanned; a longer text goes through in pieces. */
const SCRATCH = new Uint8Array(96 * 1024);
/** Characters of a piece: each takes at most 3 bytes (a surrogate pair, 4 for 2). */
const PIECE = Math.floor(SCRATCH.length / 3) - OVERLAP;

/** The automaton over `bytes[from..to)`, one byte after the other. */
function scan(next: Int32Array, bytes: Uint8Array, from: number, to: number): boolean {
  let row = 0;
  for (let i = from; i < to; i++) {
    row = next[row + bytes[i]!]!;
    if (row < 0) return true;
  }
  return false;
}

/**
 * Whether the first `n` bytes of `bytes` hold an anchor. A longer run is read as four
 * quarters at once, each lane running the automaton over its quarter and a little past it:
 * each step waits for the step before in its own lane only, so the processor runs the four
 * side by side.
 */
function scanLanes(next: Int32Array, bytes: Uint8Array, n: number): boolean {
  if (n < 256) return scan(next, bytes, 0, n);
  const q = n >> 2;
  const b = q, c = 2 * q, d = 3 * q;
  let rowA = 0, rowB = 0, rowC = 0, rowD = 0;
  // The last quarter runs to the end (n - d is q to q + 3); the others OVERLAP past theirs.
  let k = 0;
  for (; k < n - d; k++) {
    rowA = next[rowA + bytes[k]!]!;
    rowB = next[rowB + bytes[b + k]!]!;
    rowC = next[rowC + bytes[c + k]!]!;
    rowD = next[rowD + bytes[d + k]!]!;
    if ((rowA | rowB | rowC | rowD) < 0) return true;
  }
  for (; k < q + OVERLAP; k++) {
    rowA = next[rowA + bytes[k]!]!;
    rowB = next[rowB + bytes[b + k]!]!;
    rowC = next[rowC + bytes[c + k]!]!;
    if ((rowA | rowB | rowC) < 0) return true;
  }
  return false;
}

/**
 * Whether `text` may hold a secret (false: it holds none, and redacting it changes nothing).
 * Works on a JSON text too: every anchor is made of characters a JSON writer never escapes
 * (but `/`, looked for escaped as well), so it holds for the text of its strings.
 */
export function mayHoldSecret(text: string): boolean {
  const next = table ??= build(ANCHORS);
  if (text.length <= PIECE + OVERLAP) {
    return scanLanes(next, SCRATCH, encoder.encodeInto(text, SCRATCH).written);
  }
  // Pieces overlap by OVERLAP characters, so an anchor across their border is in one whole.
  for (let from = 0; from < text.length - OVERLAP; from += PIECE) {
    const piece = text.slice(from, from + PIECE + OVERLAP);
    if (scanLanes(next, SCRATCH, encoder.encodeInto(piece, SCRATCH).written)) return true;
  }
  return false;
}
