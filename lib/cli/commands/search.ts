/**
 * `rollout search QUERY`: full-text search over every session of the home (SPEC §8), through
 * the session index, newest first. Each hit names the session, the time, the folder, the item
 * (`rollout show SESSION --at N` opens the transcript there), the role and the words around
 * the match.
 */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { BadQuery, quotePunctuatedTerms, visible, wantsColour } from "../../base/mod.ts";
import type { SearchHit, SearchOptions } from "../../index/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { timeOption } from "./index_context.ts";
import { fleetStore, FROM_FLAGS, fromStoreOrIndex, fromUrlOf } from "./fleet_context.ts";
import { UsageError } from "./usage_error.ts";

const ROLES = ["user", "assistant", "tool"] as const;

function when(iso: string | null): string {
  return iso === null ? "-" : iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** The snippet with its matches marked: bold on a colour terminal, else between ** and **. */
function marked(hit: SearchHit, colour: boolean): string {
  let out = "";
  let at = 0;
  const [open, close] = colour ? ["\x1b[1m", "\x1b[22m"] : ["**", "**"];
  for (const [start, end] of hit.highlights) {
    out += visible(hit.snippet.slice(at, start), { oneLine: true });
    out += open + visible(hit.snippet.slice(start, end), { oneLine: true }) + close;
    at = end;
  }
  return out + visible(hit.snippet.slice(at), { oneLine: true });
}

/** The text view of the hits: a heading line per hit and its snippet indented below. */
export function renderHits(hits: readonly SearchHit[], colour: boolean): string {
  return hits.map((hit) => {
    const where = hit.item === null ? "title" : `item ${hit.item}`;
    const title = hit.title === null ? "" : `  "${visible(hit.title, { oneLine: true })}"`;
    const machine = (hit as { machine?: string }).machine;
    const on = machine === undefined ? "" : `${visible(machine, { oneLine: true })}  `;
    const head = `${on}${hit.session_id}  ${when(hit.time)}  ${where}  ${hit.role}${title}`;
    const cwd = hit.cwd === null ? "" : `  ${visible(hit.cwd, { oneLine: true })}`;
    return `${colour ? `\x1b[36m${head}\x1b[39m` : head}${cwd}\n  ${marked(hit, colour)}\n`;
  }).join("\n");
}

type Redaction = typeof import("../../redaction/mod.ts");

/**
 * The redaction rules, loaded when the hits are to be redacted, not with the command: setting
 * them up takes about 5 ms, which a search of the fleet store spends while the server answers.
 */
function redaction(): Promise<Redaction> {
  return import("../../redaction/mod.ts");
}

/**
 * The hit with the secrets of its snippet and title replaced (SPEC §9: what is shown redacts
 * by default); the highlights are found again in the redacted snippet.
 */
function redactHit(hit: SearchHit, rules: Redaction): SearchHit {
  const counts = {};
  // (A snippet is cut from its text: a secret at its edges is cut too.)
  const snippet = rules.redactExcerpt(hit.snippet, counts);
  const title = hit.title === null ? null : rules.redactText(hit.title, counts);
  if (snippet === hit.snippet && title === hit.title) return hit;
  const highlights: Array<[number, number]> = [];
  let from = 0;
  for (const [start, end] of hit.highlights) {
    const word = hit.snippet.slice(start, end);
    const at = snippet.indexOf(word, from);
    if (at < 0) continue;
    highlights.push([at, at + word.length]);
    from = at + word.length;
  }
  return { ...hit, snippet, title, highlights };
}

/** Runs `rollout search`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      cwd: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      role: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      "no-redact": { type: "boolean" },
      ...FROM_FLAGS,
    },
    positionals: { min: 1, max: 1 },
  });
  const typed = args.positionals[0]!;
  if (typed.trim() === "") throw new UsageError("the QUERY is empty");
  // `package.json`, `e-mail`, `C++`: a term with punctuation is searched as the phrase it spells.
  const query = quotePunctuatedTerms(typed);
  const limit = args.integer("limit", { max: 100_000 }) ?? 20;
  if (limit === 0) throw new UsageError('option "--limit" must be at least 1, got "0"');
  const role = args.string("role");
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(
      `option "--role" must be user, assistant or tool, got ${JSON.stringify(role)}`,
    );
  }
  const options: SearchOptions = { limit };
  const cwd = args.string("cwd");
  if (cwd !== undefined) options.cwd = path.resolve(io.cwd, cwd);
  const since = args.string("since");
  if (since !== undefined) options.since = timeOption("since", since);
  const until = args.string("until");
  if (until !== undefined) options.until = timeOption("until", until);
  if (role !== undefined) options.role = role as NonNullable<SearchOptions["role"]>;
  const json = args.flag("json");
  const redacting = !args.flag("no-redact");
  const from = await fromUrlOf(args, io);
  let rules: Promise<Redaction> | null = null;
  let hits: SearchHit[];
  try {
    hits = await fromStoreOrIndex(from, args, io, { json, what: "not searched" }, {
      store: async (fleet, filter) => {
        // The search's first queries are on their way when it returns to here.
        const searched = (await fleetStore()).fleetSearch(fleet, query, { ...options, ...filter });
        if (redacting) {
          rules = redaction();
          // Awaited after the search; a failure meanwhile must not go unhandled.
          rules.catch(() => {});
        }
        return await searched;
      },
      index: async (index) => (await import("../../index/mod.ts")).search(index, query, options),
    });
  } catch (error) {
    if (error instanceof BadQuery) throw new UsageError(error.message);
    throw error;
  }
  if (redacting) {
    const loaded = await (rules ?? redaction());
    hits = hits.map((hit) => redactHit(hit, loaded));
  }
  if (json) {
    await io.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
  } else if (hits.length === 0) {
    await io.stdout.write("No matches.\n");
  } else {
    await io.stdout.write(renderHits(hits, wantsColour(io.stdout.isTTY, io.env)));
  }
  return 0;
}
