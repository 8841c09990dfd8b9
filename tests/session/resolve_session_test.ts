import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { lastSession, resolveSession } from "../../lib/session/resolve_session.ts";
import { sessionIndexPath } from "../../lib/session/thread_names.ts";
import { appendThreadName } from "../../lib/session/thread_name_writer.ts";
import { inTempDir } from "../helpers.ts";
import { writeSession } from "../cli/fixtures.ts";

const A = "019abc00-0000-7000-8000-0000000000a1";
const B = "019abc00-0000-7000-8000-0000000000b2";
const C = "019abc00-0000-7000-8000-0000000000c3";

function withHome(body: (home: string) => void | Promise<void>) {
  return () => inTempDir(body);
}

test(
  "resolveSession() resolves a session's current title, matched exactly",
  withHome((home) => {
    const a = writeSession(home, { id: A });
    const b = writeSession(home, { id: B, format: "document" });
    appendThreadName(home, { id: A, title: "Fix the flaky test" });
    appendThreadName(home, { id: B, title: "Old name" });
    appendThreadName(home, { id: B, title: "Port to Bun" });
    const resolve = (spec: string) => resolveSession(spec, { home, cwd: "/" });
    assert.equal(resolve("Fix the flaky test"), a);
    assert.equal(resolve("Port to Bun"), b);
    // A renamed session no longer answers to its old name; matching is exact.
    for (const spec of ["Old name", "fix the flaky test", "Fix the flaky", "Fix the flaky test "]) {
      assert.throws(() => resolve(spec), {
        code: "invalid_argument",
        message:
          `Cannot find session "${spec}": not a file, a session id, an id prefix or a session title`,
      });
    }
  }),
);

test(
  "resolveSession() gives paths, ids and id prefixes priority over titles",
  withHome((home) => {
    const a = writeSession(home, { id: A });
    const b = writeSession(home, { id: B });
    const c = writeSession(home, { id: C });
    // B is titled with a prefix of A's id, C with the name of a file in the working folder.
    appendThreadName(home, { id: B, title: "019abc00-0000-7000-8000-0000000000a" });
    appendThreadName(home, { id: C, title: "notes.jsonl" });
    const cwd = path.join(home, "work");
    fs.mkdirSync(cwd);
    const notes = writeSession(home, { id: A, stamp: "2026-11-26T11-15-29" });
    fs.renameSync(notes, path.join(cwd, "notes.jsonl"));
    const resolve = (spec: string) => resolveSession(spec, { home, cwd });
    assert.equal(resolve("019abc00-0000-7000-8000-0000000000a"), a);
    assert.equal(resolve("notes.jsonl"), path.join(cwd, "notes.jsonl"));
    assert.equal(resolve(path.join("..", "work", "notes.jsonl")), path.join(cwd, "notes.jsonl"));
    // A title that looks like an id prefix, once no id starts with it.
    appendThreadName(home, { id: B, title: "0123" });
    assert.equal(resolve("0123"), b);
    // A title with a slash, once no such file exists.
    appendThreadName(home, { id: C, title: "fix a/b" });
    assert.equal(resolve("fix a/b"), c);
    assert.throws(() => resolve("fix a/c"), {
      code: "not_found",
      message: 'Cannot find session "fix a/c": no such file',
    });
    assert.throws(() => resolve("0124"), {
      code: "not_found",
      message: `Cannot find session "0124": no session id starts with it in "${home}/sessions"`,
    });
  }),
);

test(
  "resolveSession() lists the sessions of an ambiguous title and passes over deleted ones",
  withHome((home) => {
    const a = writeSession(home, { id: A });
    const b = writeSession(home, { id: B, stamp: "2026-11-26T11-15-30" });
    for (const id of [A, B, C]) appendThreadName(home, { id, title: "same" });
    assert.throws(() => resolveSession("same", { home, cwd: "/" }), {
      code: "invalid_argument",
      message: `Session title "same" is ambiguous: 2 sessions have it; name one by its id:\n` +
        `  ${A}  ${a}\n  ${B}  ${b}`,
    });
    // C has no file: its title is no candidate (Codex skips it too).
    fs.rmSync(b);
    assert.equal(resolveSession("same", { home, cwd: "/" }), a);
    // A damaged index is read around its damage.
    fs.appendFileSync(sessionIndexPath(home), 'garbage\n{"id":');
    assert.equal(resolveSession("same", { home, cwd: "/" }), a);
  }),
);

test(
  "resolveSession() finds a .jsonl named by its path after it was archived, as its .jsonl.zst",
  withHome((home) => {
    const plain = writeSession(home, { id: A });
    fs.renameSync(plain, `${plain}.zst`);
    const resolve = (spec: string) => resolveSession(spec, { home, cwd: "/" });
    assert.equal(resolve(plain), `${plain}.zst`);
    assert.equal(resolve(path.relative("/", plain)), `${plain}.zst`);
    fs.unlinkSync(`${plain}.zst`);
    assert.throws(() => resolve(plain), { code: "not_found" });
  }),
);

test(
  "resolveSession() finds the ids list prints from a file's meta: no UUID, or not the file's name",
  withHome((home) => {
    // The 2025 format's meta id is no UUID; Codex names the file by another id.
    const legacy = writeSession(home, {
      id: A,
      text: '{"id":"legacy-session","timestamp":"2025-05-06T22:35:51.781Z"}\n',
    });
    const typescript = writeSession(home, {
      id: B,
      format: "document",
      text: '{"session":{"id":"session-1","timestamp":"2025-06-26T00:00:00Z"},"items":[]}',
    });
    const resolve = (spec: string) => resolveSession(spec, { home, cwd: "/" });
    assert.equal(resolve("legacy-session"), legacy);
    // A prefix of it, as `list` shows the first eight characters.
    assert.equal(resolve("legacy-s"), legacy);
    assert.equal(resolve("session-1"), typescript);
    assert.equal(resolve("SESSION-"), typescript);
    // The id in the file's name still finds the file first.
    assert.equal(resolve(A), legacy);
    // A title wins over a meta id, as it wins over an id prefix that only the meta holds.
    appendThreadName(home, { id: B, title: "legacy" });
    assert.equal(resolve("legacy"), typescript);
    writeSession(home, {
      id: C,
      text: '{"id":"legacy-other","timestamp":"2025-05-06T22:35:51.781Z"}\n',
    });
    assert.throws(() => resolve("legacy-"), {
      code: "invalid_argument",
      message: /^Session id prefix "legacy-" is ambiguous: 2 sessions match:/,
    });
    assert.throws(() => resolve("nothing-like-it"), {
      code: "invalid_argument",
      message:
        'Cannot find session "nothing-like-it": not a file, a session id, an id prefix or a session title',
    });
  }),
);

test(
  "lastSession() passes over newer files that do not read as a session",
  withHome((home) => {
    const good = writeSession(home, { id: A, mtime: 1_000 });
    writeSession(home, { id: B, text: "", stamp: "2026-11-26T11-15-30" });
    writeSession(home, { id: C, text: "no json\n", stamp: "2026-11-26T11-15-31" });
    assert.equal(lastSession(home), good);
    fs.rmSync(good);
    assert.throws(() => lastSession(home), {
      code: "not_found",
      message:
        `No readable session in "${home}/sessions" (2 file(s) that do not read as one: rollout list names them)`,
    });
  }),
);

test(
  "resolveSession() refuses an empty SESSION instead of taking it for a prefix of every id",
  withHome((home) => {
    writeSession(home, { id: A });
    for (const spec of ["", "  "]) {
      assert.throws(() => resolveSession(spec, { home, cwd: "/" }), {
        code: "invalid_argument",
        message: "SESSION is empty: give a path, an id or a title",
      });
    }
  }),
);
