/**
 * `JSON.parse`, minus a V8 bug: after some object with a key made of one backslash was
 * parsed, V8 (Deno here; not Bun's JavaScriptCore) may decode a later escaped key such as
 * `"\""` or `"\u0015"` as that backslash (nodejs/node#63785, chromium 521080746): the value
 * comes back under the wrong key, silently. Where the engine shows the bug, a text with an
 * escaped key is parsed again with its keys decoded one by one; every other text, and every
 * text on an engine without the bug, costs one `JSON.parse` as before.
 */

/** Whether this engine's `JSON.parse` has the bug: checked once, on the bug's own example. */
const keyBug = (() => {
  JSON.parse('{"h":[],"\\\\":0}');
  return Object.keys(JSON.parse('{"h":1,"\\"":2}') as object)[1] !== '"';
})();

/** A string with an escape, followed by `:`, somewhere in the text (a key, or more often). */
const ESCAPED_KEY = /"(?:[^"\\]*\\.)+[^"\\]*"\s*:/s;

/** `JSON.parse(text)`, with escaped keys decoded correctly on every engine. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!keyBug || typeof value !== "object" || value === null) return value;
  if (!text.includes("\\") || !ESCAPED_KEY.test(text)) return value;
  return parseKeysByHand(text);
}

/**
 * Parses a valid JSON text, decoding each string on its own with `JSON.parse` (strings alone
 * are not affected) and building objects by assignment, as `JSON.parse` would.
 */
function parseKeysByHand(text: string): unknown {
  let at = 0;
  const space = () => {
    for (let c = text.charCodeAt(at); c === 32 || c === 9 || c === 10 || c === 13;) {
      c = text.charCodeAt(++at);
    }
  };
  const string = (): string => {
    const start = at++;
    for (let c = text.charCodeAt(at); c !== 34; c = text.charCodeAt(at)) at += c === 92 ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const object: Record<string, unknown> = {};
      space();
      if (text[at] === "}") {
        at++;
        return object;
      }
      for (;;) {
        space();
        const key = string();
        space();
        at++; // ":"
        const item = value();
        if (key === "__proto__") {
          Object.defineProperty(object, key, {
            value: item,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else object[key] = item;
        space();
        if (text[at++] === "}") return object;
      }
    }
    if (c === "[") {
      at++;
      const array: unknown[] = [];
      space();
      if (text[at] === "]") {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        space();
        if (text[at++] === "]") return array;
      }
    }
    if (c === '"') return string();
    const start = at;
    while (at < text.length && !",]} \t\n\r".includes(text[at]!)) at++;
    return JSON.parse(text.slice(start, at));
  };
  return value();
}
