/**
 * The blocks of an HTML transcript's entries: text with its tail folded into a `<details>`
 * when long, and content parts with their images. Every stored text goes through
 * html_text.ts. Pure.
 */
import { countLines, thousands } from "../base/mod.ts";
import { htmlAttribute, htmlText, httpUrl, isImageDataUrl } from "./html_text.ts";
import { contentPieces, imageLabel } from "./transcript_parts.ts";

/** How a long text is folded: past `lines` lines or `chars` characters, a head stays shown. */
export interface FoldRule {
  lines: number;
  chars: number;
  headLines: number;
  headChars: number;
}
/** Tool calls, outputs, instructions: folded as `show` folds (past 20 lines, 4,000 chars). */
export const OUTPUT_FOLD: FoldRule = { lines: 20, chars: 4000, headLines: 12, headChars: 1600 };
/** Messages, what a reader came for: folded only when very long. */
export const MESSAGE_FOLD: FoldRule = {
  lines: 200,
  chars: 20000,
  headLines: 100,
  headChars: 10000,
};

/** Where a long text is cut: after `headLines` lines, at most `headChars` characters. */
function cutAt(text: string, rule: FoldRule): number | null {
  let lines = 1;
  let cut = -1;
  for (
    let at = text.indexOf("\n");
    at >= 0 && lines <= rule.lines;
    at = text.indexOf("\n", at + 1)
  ) {
    if (lines === rule.headLines) cut = at;
    lines++;
  }
  if (lines <= rule.lines && text.length <= rule.chars) return null;
  const at = cut >= 0 && cut <= rule.headChars ? cut : Math.min(rule.headChars, text.length);
  // Never between the two halves of a surrogate pair.
  const before = text.charCodeAt(at - 1);
  return before >= 0xd800 && before <= 0xdbff ? at - 1 : at;
}

export function size(chars: number): string {
  return chars >= 1e6
    ? `${(chars / 1e6).toFixed(1)} MB`
    : `${thousands(Math.ceil(chars / 1e3))} kB`;
}

/** A text block, its tail folded into a `<details>` (rendered only when opened) when long. */
export function textBlock(text: string, rule: FoldRule, code: boolean): string {
  const cls = code ? "t k" : "t";
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const cut = cutAt(body, rule);
  if (cut === null) return `<div class="${cls}">${htmlText(body)}</div>`;
  const rest = body[cut] === "\n" ? body.slice(cut + 1) : body.slice(cut);
  const lines = countLines(rest);
  const what = lines > 1 ? `${thousands(lines)} more lines` : "the rest of the line";
  return `<div class="${cls}">${htmlText(body.slice(0, cut))}</div>` +
    `<details><summary>${what} (${size(rest.length)})</summary>` +
    `<div class="${cls}">${htmlText(rest)}</div></details>`;
}

/** Content parts: text blocks and the images a page may show. */
export function contentBlocks(content: unknown, rule: FoldRule, code: boolean): string {
  let out = "";
  for (const piece of contentPieces(content)) {
    if ("text" in piece) out += textBlock(piece.text, rule, code);
    else if (isImageDataUrl(piece.image)) {
      out += `<img src="${
        htmlAttribute(piece.image)
      }" alt="image" loading="lazy" decoding="async">`;
    } else {
      const link = httpUrl(piece.image);
      const label = htmlText(imageLabel(piece.image), { oneLine: true });
      out += link === null
        ? `<div class="t k">${label}</div>`
        : `<div class="t k"><a href="${
          htmlAttribute(link)
        }" rel="noopener noreferrer nofollow">${label}</a></div>`;
    }
  }
  return out;
}
