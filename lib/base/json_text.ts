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

/**
 * Whether a valid JSON text has an object key with an escape in it. One pass: every search
 * moves forward (a regular expression for this backtracks, quadratic on a large document).
 */
function hasEscapedKey(text: string): boolean {
  let slash = text.indexOf("\\");
  let quote = text.indexOf('"');
  while (quote >= 0 && slash >= 0) {
    // `quote` opens a string: find the quote that closes it, noting escapes on the way.
    let escaped = false;
    let end = quote + 1;
    quote = text.indexOf('"', end);
    for (;;) {
      if (slash >= 0 && slash < end) slash = text.indexOf("\\", end);
      if (slash < 0 || slash > quote) break;
      escaped = true;
      end = slash + 2; // the escaped character may be a quote or a backslash
      if (quote < end) quote = text.indexOf('"', end);
    }
    if (quote < 0) return false;
    let next = quote + 1;
    for (let c = text.charCodeAt(next); c === 32 || c === 9 || c === 10 || c === 13;) {
      c = text.charCodeAt(++next);
    }
    if (escaped && text.charCodeAt(next) === 58) return true; // ":"
    quote = text.indexOf('"', next);
  }
  return false;
}

/** `JSON.parse(text)`, with escaped keys decoded correctly on every engine. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!keyBug || typeof value !== "object" || value === null) return value;
  if (!hasEscapedKey(text)) return value;
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
    for (let c = text.charCodeAt(at); c !== 34 && at < text.length; c = text.charCodeAt(at)) {
      at += c === 92 ? 2 : 1;
    }
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
