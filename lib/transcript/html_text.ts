/**
 * Stored text placed in HTML: escaped for element content or a quoted attribute, its control
 * characters made visible; the only URLs a page may use are checked here. Pure.
 */
import { visible } from "../base/mod.ts";

// What must change in element content, found in one pass: the markup characters, and the
// control and bidi characters that visible() shows (with the newline for one line).
// deno-lint-ignore no-control-regex
const TEXT_SPECIAL = /[&<>\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const LINE_SPECIAL = /[&<>\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ATTRIBUTE_SPECIAL = /[&<>"']/g;
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const entityOf = (char: string) => ENTITIES[char] ?? visible(char, { oneLine: true });

/** Stored text as HTML element content: escaped, control and bidi characters made visible. */
export function htmlText(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(options.oneLine === true ? LINE_SPECIAL : TEXT_SPECIAL, entityOf);
}

/** Text as the value of a double-quoted attribute. */
export function htmlAttribute(text: string): string {
  return visible(text, { oneLine: true }).replace(ATTRIBUTE_SPECIAL, entityOf);
}

// Raster formats only: an SVG image is a document of its own.
const IMAGE_DATA_HEAD = /^data:image\/(?:png|jpeg|gif|webp|avif|bmp);base64,/;
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * Whether `url` is a base64 raster image a page may show inline (the CSP allows `data:`). Such
 * a URL holds no character an attribute must escape.
 */
export function isImageDataUrl(url: string): boolean {
  const head = IMAGE_DATA_HEAD.exec(url);
  return head !== null && !NOT_BASE64.test(url.slice(head[0].length));
}

/** `url` normalised when it is an absolute http(s) URL a page may link to, else null. */
export function httpUrl(url: string): string | null {
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}
