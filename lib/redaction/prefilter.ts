/**
 * The prefilter: does a text hold any word that every rule's match starts from (a token
 * prefix, `-----BEGIN`, `://`, a secret keyword)? Most of a transcript holds none, and is
 * passed over after one look at each character: an Aho–Corasick automaton over the words,
 * letters folded to lower case, run as a table (faster than one regular expression with that
 * many alternatives, in JavaScriptCore by half).
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
  "passw",
  "passp",
  "pwd",
  "secret",
  "token",
  "credential",
  "authorization",
  "bearer",
  ...["api", "access", "private", "auth"].flatMap((w) =>
    ["", "_", "-", " ", "."].map((sep) => `${w}${sep}key`)
  ),
];

/** The automaton: a character class per code unit, and the transitions by class. */
interface Automaton {
  classes: Uint8Array;
  width: number;
  /** Transitions: the next state's row offset (state × width), or -1 where an anchor ends. */
  next: Int32Array;
}

function build(anchors: readonly string[]): Automaton {
  const lower = (c: number) => (c >= 65 && c <= 90 ? c | 32 : c);
  const classes = new Uint8Array(65536);
  let width = 1;
  for (const anchor of anchors) {
    for (let i = 0; i < anchor.length; i++) {
      const c = lower(anchor.charCodeAt(i));
      if (classes[c] === 0) classes[c] = width++;
    }
  }
  for (let c = 65; c <= 90; c++) classes[c] = classes[c | 32]!;
  // The trie of the anchors, then the failure links breadth first (Aho–Corasick).
  const trie: Map<number, number>[] = [new Map()];
  const ends: boolean[] = [false];
  for (const anchor of anchors) {
    let state = 0;
    for (let i = 0; i < anchor.length; i++) {
      const k = classes[lower(anchor.charCodeAt(i))]!;
      let next = trie[state]!.get(k);
      if (next === undefined) {
        next = trie.length;
        trie.push(new Map());
        ends.push(false);
        trie[state]!.set(k, next);
      }
      state = next;
    }
    ends[state] = true;
  }
  const states = trie.length;
  const delta = new Int32Array(states * width);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (const [k, next] of trie[0]!) {
    delta[k] = next;
    queue.push(next);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    if (ends[fail[state]!]) ends[state] = true;
    for (let k = 0; k < width; k++) {
      const next = trie[state]!.get(k);
      const fallback = delta[fail[state]! * width + k]!;
      if (next === undefined) delta[state * width + k] = fallback;
      else {
        fail[next] = fallback;
        delta[state * width + k] = next;
        queue.push(next);
      }
    }
  }
  const next = new Int32Array(states * width);
  for (let i = 0; i < next.length; i++) next[i] = ends[delta[i]!] ? -1 : delta[i]! * width;
  return { classes, width, next };
}

const { classes: CLASSES, next: NEXT } = build(ANCHORS);
/** Characters a lane reads past its quarter, so that an anchor across the border is found. */
const OVERLAP = Math.max(...ANCHORS.map((anchor) => anchor.length)) - 1;

/** The automaton over `text` from `from` to `to`, one character after the other. */
function scan(text: string, from: number, to: number): boolean {
  let row = 0;
  for (let i = from; i < to; i++) {
    row = NEXT[row + CLASSES[text.charCodeAt(i)]!]!;
    if (row < 0) return true;
  }
  return false;
}

/**
 * Whether `text` may hold a secret (false: it holds none, and redacting it changes nothing).
 * Works on a JSON text too: every anchor is made of characters a JSON writer never escapes
 * (but `/`, looked for escaped as well), so it holds for the text of its strings.
 *
 * A longer text is read as four quarters at once, each lane running the automaton over its
 * quarter and a little past it: each step waits for the step before in its own lane only, so
 * the processor runs the four side by side (twice as fast as one lane, in either engine).
 */
export function mayHoldSecret(text: string): boolean {
  const n = text.length;
  if (n < 256) return scan(text, 0, n);
  const q = n >> 2;
  const [b, c, d] = [q, 2 * q, 3 * q];
  let [rowA, rowB, rowC, rowD] = [0, 0, 0, 0];
  // The last quarter runs to the end (n - d is q to q + 3); the others OVERLAP past theirs.
  let k = 0;
  for (; k < n - d; k++) {
    rowA = NEXT[rowA + CLASSES[text.charCodeAt(k)]!]!;
    rowB = NEXT[rowB + CLASSES[text.charCodeAt(b + k)]!]!;
    rowC = NEXT[rowC + CLASSES[text.charCodeAt(c + k)]!]!;
    rowD = NEXT[rowD + CLASSES[text.charCodeAt(d + k)]!]!;
    if ((rowA | rowB | rowC | rowD) < 0) return true;
  }
  for (; k < q + OVERLAP; k++) {
    rowA = NEXT[rowA + CLASSES[text.charCodeAt(k)]!]!;
    rowB = NEXT[rowB + CLASSES[text.charCodeAt(b + k)]!]!;
    rowC = NEXT[rowC + CLASSES[text.charCodeAt(c + k)]!]!;
    if ((rowA | rowB | rowC) < 0) return true;
  }
  return false;
}
