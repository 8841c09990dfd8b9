/**
 * toTsquery(): the session index's search syntax (FTS5's) as PostgreSQL tsquery text, checked as
 * text, then (when PostgreSQL is here) run against the records of a synced home.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { after, before, test } from "node:test";
import postgres from "postgres";
import { toTsquery } from "../../lib/fleet/mod.ts";
import { wordPattern } from "../../lib/fleet/read.ts";
import { BadQuery } from "../../lib/index/mod.ts";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { cli } from "../cli/cli_io.ts";
import { idOf, writeSession } from "../cli/fixtures.ts";
import { pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";

/** Each query with the tsquery it must become. */
const TRANSLATIONS: Record<string, Array<[string, string]>> = {
  words: [
    ["fox", "'fox'"],
    ["Fox", "'fox'"],
    ["v2", "'v2'"],
    ["Café", "'café'"],
    ["日本語", "(('日' <-> '本' <-> '語') | '日本語')"],
    ["or", "'or'"],
    ["AND*", "'and':*"],
  ],
  and: [
    ["quick fox", "('quick' & 'fox')"],
    ["quick AND fox", "('quick' & 'fox')"],
    ["a b c", "('a' & 'b' & 'c')"],
    ["a or b", "('a' & 'or' & 'b')"],
  ],
  or: [
    ["fox OR baz", "('fox' | 'baz')"],
    ["a b OR c", "(('a' & 'b') | 'c')"],
    ["a OR b c", "('a' | ('b' & 'c'))"],
  ],
  not: [
    ["fox NOT lazy", "('fox' & !'lazy')"],
    ["a NOT b NOT c", "(('a' & !'b') & !'c')"],
    ["a b NOT c", "('a' & ('b' & !'c'))"],
    ["a OR b NOT c", "('a' | ('b' & !'c'))"],
  ],
  parentheses: [
    ["(fox OR baz) NOT quick", "(('fox' | 'baz') & !'quick')"],
    ["(a OR b) c", "(('a' | 'b') & 'c')"],
    ["a (b OR (c d))", "('a' & ('b' | ('c' & 'd')))"],
    ["((a))", "'a'"],
  ],
  phrases: [
    ['"foo bar"', "('foo' <-> 'bar')"],
    ['"word"', "'word'"],
    ['"say ""hi"" now"', "('say' <-> 'hi' <-> 'now')"],
    ['"AND OR NOT"', "('and' <-> 'or' <-> 'not')"],
    ['"foo bar" OR baz', "(('foo' <-> 'bar') | 'baz')"],
  ],
  prefixes: [
    ["deploy*", "'deploy':*"],
    ['"two wor"*', "('two' <-> 'wor':*)"],
    ['"foo-ba"*', "('foo' <-> 'ba':*)"],
  ],
  // A Chinese or Japanese word is the phrase of its characters, as the store splits them; or,
  // in rows a rollout before 2026-12-07 pushed, the run as one word.
  cjk: [
    ["数据库", "(('数' <-> '据' <-> '库') | '数据库')"],
    ['"数 据 库"', "(('数' <-> '据' <-> '库') | '数据库')"],
    ["数据*", "(('数' <-> '据':*) | '数据':*)"],
    ["数据库 fix", "((('数' <-> '据' <-> '库') | '数据库') & 'fix')"],
    ["abc数据", "(('abc数' <-> '据') | 'abc数据')"],
    ["한국어", "(('한' <-> '국' <-> '어') | '한국어')"],
  ],
  punctuation: [
    ['"foo-bar"', "('foo' <-> 'bar')"],
    ["foo_bar", "('foo' <-> 'bar')"],
    ["naïve’s", "('naïve' <-> 's')"],
    ['"C:\\dir\\file.txt"', "('c' <-> 'dir' <-> 'file' <-> 'txt')"],
    [`"O'Brien"`, "('o' <-> 'brien')"],
    [
      `"it's a 'quote' \\ and a \\\\ backslash"`,
      "('it' <-> 's' <-> 'a' <-> 'quote' <-> 'and' <-> 'a' <-> 'backslash')",
    ],
  ],
};

for (const [what, cases] of Object.entries(TRANSLATIONS)) {
  test(`toTsquery() translates ${what}`, () => {
    for (const [query, want] of cases) assert.equal(toTsquery(query), want, query);
  });
}

/** Each query that is no valid syntax with the reason its error gives. */
const BAD: Array<[string, string]> = [
  ['"abc', "a phrase is not closed"],
  ['foo "bar baz', "a phrase is not closed"],
  ["(a OR b", "a ( is not closed"],
  ["((a)", "a ( is not closed"],
  ["a)", "unexpected )"],
  ["(a))", "unexpected )"],
  ["OR", "unexpected OR"],
  ["AND", "unexpected AND"],
  ["NOT a", "unexpected NOT"],
  ["a OR", "it ends where a word was expected"],
  ["a AND", "it ends where a word was expected"],
  ["a NOT", "it ends where a word was expected"],
  ["()", "unexpected CLOSE"],
  ["a:b", "column filters are not supported here"],
  ["role:user", "column filters are not supported here"],
  ["", "no words"],
  ["   ", "no words"],
  ['""', "an empty phrase"],
  ['"..."', "an empty phrase"],
  ["-", 'unexpected "-"'],
  ["foo-bar", 'unexpected "-"'],
  ["a 'b'", `unexpected "'"`],
  ["C:\\dir", "column filters are not supported here"],
  ["\\x", 'unexpected "\\\\"'],
];

test("toTsquery() refuses what is no search syntax with a BadQuery naming the query and why", () => {
  for (const [query, why] of BAD) {
    assert.throws(() => toTsquery(query), (error: unknown) => {
      assert.ok(error instanceof BadQuery, `${query}: ${error}`);
      assert.equal(
        error.message,
        `the query ${
          JSON.stringify(query)
        } is not valid search syntax (${why}); words, "a phrase", prefix*, AND, OR, NOT and (...) are understood`,
      );
      return true;
    }, query);
  }
});

// ---------------------------------------------------------------------------------------------
// Against PostgreSQL: the translations are accepted, and find the records meant.

const skip = skipReason(
  "tests/fleet/tsquery_test.ts",
  !pgAvailable() && "PostgreSQL is not installed",
);
let cluster: PgCluster | undefined;

before(async () => {
  if (skip === false) cluster = await startCluster();
});
after(async () => {
  await cluster?.destroy();
});

/** The text of the one message of each session of the home searched. */
const BODIES = [
  "The quick brown fox jumps over the lazy dog",
  "foo-bar baz",
  "O'Brien keeps C:\\dir\\file.txt",
  "Café NAÏVE résumé",
  "prefix matching: deploying deployments",
  'say "hi" to the fox',
  "bar foo",
  "it's a 'quote' \\ and a \\\\ backslash",
  "我们需要修复数据库连接的问题",
  "数据库",
  "数字和字数",
];

/** Each query with the numbers (in BODIES, from 1) of the sessions it must find. */
const FINDS: Array<[string, number[]]> = [
  ["fox", [1, 6]],
  ["FOX", [1, 6]],
  ["quick fox", [1]],
  ["fox OR baz", [1, 2, 6]],
  ["fox NOT lazy", [6]],
  ["(fox OR baz) NOT quick", [2, 6]],
  ['"foo bar"', [2]],
  ['"foo-bar"', [2]],
  ["foo_bar", [2]],
  ["foo bar", [2, 7]],
  ['"bar foo"', [7]],
  ["deploy*", [5]],
  ["deploying", [5]],
  ["deploy", []],
  ['"matching deploy"*', [5]],
  ['"say ""hi"""', [6]],
  ['"hi to"', [6]],
  [`"O'Brien"`, [3]],
  ['"C:\\dir\\file.txt"', [3]],
  ["file", [3]],
  ["café", [4]],
  ["naïve", [4]],
  ["RÉSUMÉ", [4]],
  ["caf*", [4]],
  [`"it's a 'quote' \\ and a \\\\ backslash"`, [8]],
  ["backslash OR fox", [1, 6, 8]],
  ["zebra", []],
  ["数据库", [9, 10]],
  ["数据", [9, 10]],
  ["连接", [9]],
  ["数字", [11]],
  ["字数 OR 问题", [9, 11]],
  ["数据库 NOT 问题", [10]],
  ["据连", []],
  ["数*", [9, 10, 11]],
];

test("toTsquery()'s tsqueries are accepted by PostgreSQL and find the records meant", {
  skip,
}, async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  const url = await cluster!.createDatabase(`tsquery_${process.pid}`);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const t = "2026-11-26T15:00:00.000Z";
    const line = (type: string, payload: unknown) =>
      JSON.stringify({ timestamp: t, type, payload }) + "\n";
    BODIES.forEach((body, i) => {
      const id = idOf(i + 1);
      writeSession(dir, {
        id,
        stamp: `2026-11-26T15-${String(i).padStart(2, "0")}-00`,
        text: line("session_meta", { id, timestamp: t, cwd: "/repo" }) +
          line("response_item", {
            type: "message",
            role: "user",
            content: [{ type: "input_text", text: body }],
          }),
      });
    });
    const synced = await cli(["sync", "--to", url, "--home", dir, "--machine", "m"]);
    assert.equal(synced.code, 0, synced.stderr);

    for (const [query, want] of FINDS) {
      const rows = await sql`SELECT DISTINCT s.session_id FROM rollout.records r
        JOIN rollout.sessions s ON s.id = r.session
        WHERE r.words @@ to_tsquery('simple', ${toTsquery(query)}) ORDER BY s.session_id`;
      assert.deepEqual(rows.map((r) => r.session_id), want.map(idOf), query);
    }
    // A row pushed before CJK runs were split (its run one word) is found by the run, and
    // only by it (until it is pushed again).
    const old = [
      ["'数据库':1", "数据库", true],
      ["'修复数据库':1", "修复数据库", true],
      ["'修复数据库':1", "数据库", false],
    ] as const;
    for (const [vector, query, found] of old) {
      const [row] = await sql`SELECT ${vector}::tsvector @@ to_tsquery('simple', ${
        toTsquery(query)
      }) AS hit`;
      assert.equal(row!.hit, found, `${vector} ${query}`);
    }
    // Every translation of the tests above is a tsquery PostgreSQL reads.
    for (const [query, tsquery] of Object.values(TRANSLATIONS).flat()) {
      const [row] = await sql`SELECT to_tsquery('simple', ${tsquery})::text AS q`;
      assert.equal(typeof row!.q, "string", query);
    }
  } finally {
    await sql.end();
    cleanup();
  }
});

test("a snippet's window is placed where a searched word stands as a word", { skip }, async () => {
  const url = await cluster!.createDatabase(`window_${process.pid}`);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // The length of the text before the word (and the character before it), or null.
    const before = async (body: string, word: string, prefix = false) => {
      const [row] = await sql`SELECT length(substring(${body}::text from ${
        wordPattern({ word, prefix })
      }::text)) AS n`;
      return row!.n as number | null;
    };
    assert.equal(await before("catalog updated, see the log", "log"), 24);
    assert.equal(await before("log first", "log"), 0);
    assert.equal(await before("ran ./Build.sh twice", "build"), 5);
    assert.equal(await before("rebuild only", "build"), null);
    assert.equal(await before("the deployments", "deploy", true), 3);
    assert.equal(await before("the deployments", "deploy"), null);
    // A CJK character is a word of its own: nothing is needed around one.
    assert.equal(await before("修复数据库连接", "数据库"), 2);
    assert.equal(await before("修复数据库连接", "数"), 2);
    assert.equal(await before("修复数据 catalog", "数据"), 2);
    assert.equal(await before("abc数据", "bc数"), null);
  } finally {
    await sql.end();
  }
});
