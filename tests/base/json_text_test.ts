import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJson } from "../../lib/base/json_text.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { prng, randomString, randomValue, runSeed, withSeed } from "../fixtures_random.ts";
import { setup, tempDir } from "../helpers.ts";

/** What makes V8's JSON.parse decode a later escaped key as a backslash (nodejs/node#63785). */
function poison(): void {
  JSON.parse('{"h":[],"\\\\":0}');
  JSON.parse('{"type":[],"\\\\":0}');
}

test("parseJson() decodes escaped keys exactly, after the texts that mislead V8's JSON.parse", () => {
  poison();
  assert.deepEqual(Object.keys(parseJson('{"h":1,"\\"":2}') as object), ["h", '"']);
  assert.deepEqual(Object.keys(parseJson('{"h":1,"\\u0015":2}') as object), ["h", "\u0015"]);
  const nested = parseJson(
    ' { "a" : [ 1 , -2.5e3 , true , null , "x\\ny" , { "h" : {} , "\\n" : [ ] } ] ,' +
      ' "\\\\" : "\\\\" , "\\"q\\"" : 0 , "__proto__" : { "p" : 1 } , "d" : 1 , "d" : 2 } ',
  ) as Record<string, unknown>;
  assert.deepEqual(Object.keys(nested), ["a", "\\", '"q"', "__proto__", "d"]);
  assert.deepEqual(nested.a, [1, -2500, true, null, "x\ny", { h: {}, "\n": [] }]);
  assert.equal(nested["\\"], "\\");
  assert.equal(nested.d, 2);
  // `__proto__` stays an own property, as JSON.parse makes it, not the object's prototype.
  assert.equal(Object.getPrototypeOf(nested), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(nested, "__proto__")?.value, { p: 1 });
  assert.throws(() => parseJson('{"a":'), SyntaxError);
  assert.equal(parseJson('"\\u0041"'), "A");
});

test("parseJson() finds an escaped key at the end of a large text full of escapes, in one pass", () => {
  poison();
  // A long value full of escaped quotes followed by colons, then one escaped key: a search
  // that starts again inside the value at each quote (as a regular expression for this
  // does) takes quadratic time and would not finish here.
  const said = 'say "a": 1, '.repeat(100_000);
  const text = JSON.stringify({ said, h: 0, "\\u0015": 1 });
  const value = parseJson(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ["said", "h", "\\u0015"]);
  assert.equal(value.said, said);
  assert.equal(value["\\u0015"], 1);
});

test("parseJson() gives back every random value JSON.stringify encoded, after poisoning", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let i = 0; i < 3000; i++) {
      poison();
      // A key after `h` that needs escapes is what V8 decodes wrongly.
      const value = { h: randomValue(rand, 3), [randomString(rand, 4)]: randomValue(rand, 3) };
      assert.deepEqual(parseJson(JSON.stringify(value)), value);
    }
  });
});

test("loadRollout() reads back an item whose keys need escapes, after poisoning", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const item = { type: "web_search_call", '"': 1 };
    const rec = await RolloutRecorder.create({ home: dir, sync: false });
    await rec.recordItems([item]);
    await rec.close();
    poison();
    assert.deepEqual(loadRollout(rec.path!).saved.items, [item]);
  } finally {
    cleanup();
  }
});
