/**
 * The fixed parts of an HTML transcript: its style sheet, its one small script (in-page search,
 * the usage moved up once the page is read) and the Content-Security-Policy that allows these
 * two by hash and nothing else. Holds no stored text.
 */
import process from "node:process";

/** The page's style: light and dark, narrow screens, conversation chunks rendered lazily. */
export const PAGE_STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mute:#59636e;--line:#d1d9e0;--soft:#f6f8fa;
--u:#0969da;--a:#1a7f37;--tool:#9a6700;--fail:#cf222e;--mark:#8250df;--hit:#fff3a3;--cur:#ffb000}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;--line:#3d444d;
--soft:#151b23;--u:#4493f8;--a:#3fb950;--tool:#d29922;--fail:#f85149;--mark:#ab7df8;--hit:#6b5300;
--cur:#b07800}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer,.bar>div{max-width:60rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.25rem;margin:1rem 0 .5rem;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
code,.k{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}
dt{color:var(--mute)}dd{margin:0;overflow-wrap:anywhere}
.bar{position:sticky;top:0;z-index:1;background:var(--bg);border-bottom:1px solid var(--line)}
.bar>div{display:flex;gap:.4rem;align-items:center;padding-top:.4rem;padding-bottom:.4rem}
.bar input{flex:1;min-width:0;font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.bar button{font:inherit;padding:.25rem .6rem;border:1px solid var(--line);border-radius:6px;background:var(--soft);color:var(--fg)}
#n{color:var(--mute);font-size:.85rem;white-space:nowrap;min-width:4rem}
.c{content-visibility:auto;contain-intrinsic-size:auto 1600px}
.e{border-left:3px solid var(--line);padding:.1rem 0 .1rem .8rem;margin:1rem 0}
.h{color:var(--mute);font-size:.85rem;overflow-wrap:anywhere}
.h b{font-weight:600}
.n{color:var(--mute);text-decoration:none;font-size:.8rem;margin-left:.3rem}
.u{border-color:var(--u)}.u>.h b{color:var(--u)}
.a{border-color:var(--a)}.a>.h b{color:var(--a)}
.call,.out{border-color:var(--tool)}.call>.h b,.out>.h b{color:var(--tool)}
.fail{border-color:var(--fail)}.fail>.h b{color:var(--fail)}
.x{opacity:.75}
.t{white-space:pre-wrap;overflow-wrap:anywhere;unicode-bidi:plaintext;margin:.15rem 0}
.k{background:var(--soft);border-radius:6px;padding:.4rem .6rem;display:block}
details>.k{margin-top:.15rem}
summary{cursor:pointer;color:var(--mute);font-size:.85rem;padding:.15rem 0}
.mk{color:var(--mark);text-align:center;font-size:.9rem;margin:1.25rem 0;overflow-wrap:anywhere}
img{display:block;max-width:100%;height:auto;margin:.4rem 0;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;font-size:.9rem;display:block;overflow-x:auto}
th,td{padding:.2rem .6rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
footer{color:var(--mute);padding-bottom:2rem}
footer li{overflow-wrap:anywhere}
::highlight(hit){background-color:var(--hit);color:inherit}
::highlight(cur){background-color:var(--cur);color:#000}
@media (max-width:40rem){body{font-size:14px}header,main,footer,.bar>div{padding:0 .6rem}.e{padding-left:.5rem}}
`.trim();

/**
 * The page's script: search (Enter: next hit, Shift+Enter: the one before; `/` focuses the box)
 * over the text parsed so far, opening folded parts that hold a hit and scrolling it into view;
 * once the page is read, the usage is moved up under the session's details. It reads the page,
 * never writes markup: no stored text can become code.
 */
export const PAGE_SCRIPT = `
(() => {
  "use strict";
  const d = document, q = d.getElementById("q"), n = d.getElementById("n"), MAX = 10000;
  const marks = typeof Highlight === "function" && typeof CSS === "object" && CSS.highlights ? CSS.highlights : null;
  let hits = [], at = -1, key = "", stale = false, timer = 0;
  const skip = (t) => {
    const p = t.parentElement;
    return p === null || p.closest("script,style,.bar") !== null ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
  };
  const find = (text) => {
    key = text; hits = []; at = -1; stale = false;
    if (marks !== null) { marks.delete("hit"); marks.delete("cur"); }
    if (text === "") return;
    const re = new RegExp(text.replace(/[.*+?^\${}()|[\\]\\\\]/g, "\\\\$&"), "gi");
    const walk = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT, { acceptNode: skip });
    for (let t = walk.nextNode(); t !== null && hits.length < MAX; t = walk.nextNode()) {
      re.lastIndex = 0;
      for (let m = re.exec(t.data); m !== null && hits.length < MAX; m = re.exec(t.data)) {
        const r = new Range();
        r.setStart(t, m.index);
        r.setEnd(t, m.index + m[0].length);
        hits.push(r);
      }
    }
    if (marks !== null && hits.length > 0) marks.set("hit", new Highlight(...hits));
  };
  const go = (step) => {
    if (q.value !== key || stale) {
      const keep = q.value === key ? at : -1;
      find(q.value);
      at = Math.min(keep, hits.length - 1);
    }
    if (hits.length === 0) { n.textContent = q.value === "" ? "" : "no match"; return; }
    at = at < 0 ? (step < 0 ? hits.length - 1 : 0) : (at + step + hits.length) % hits.length;
    const r = hits[at];
    for (let e = r.startContainer.parentElement; e !== null; e = e.parentElement) {
      if (e.tagName === "DETAILS") e.open = true;
    }
    if (marks !== null) marks.set("cur", new Highlight(r));
    const center = () => {
      const box = r.getBoundingClientRect();
      window.scrollBy(0, box.top - window.innerHeight / 2);
    };
    center();
    requestAnimationFrame(() => requestAnimationFrame(center));
    n.textContent = (at + 1) + " / " + hits.length + (hits.length >= MAX ? "+" : "");
  };
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => go(1), 250); });
  q.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault(); clearTimeout(timer); go(e.shiftKey ? -1 : 1);
  });
  d.getElementById("next").addEventListener("click", () => go(1));
  d.getElementById("prev").addEventListener("click", () => go(-1));
  d.addEventListener("keydown", (e) => {
    if (e.key === "/" && d.activeElement !== q && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); q.focus(); }
  });
  d.addEventListener("DOMContentLoaded", () => {
    stale = true;
    const usage = d.getElementById("usage"), slot = d.getElementById("usage-slot");
    if (usage !== null && slot !== null) slot.replaceWith(usage);
  });
})();
`.trim();

function sha256(text: string): string {
  // Loaded when a page is made: node:crypto (with the streams it brings) costs every other
  // command 5-10 ms at start.
  const { createHash } = process.getBuiltinModule("node:crypto") as typeof import("node:crypto");
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

let csp: string | null = null;

/**
 * The page's policy: its own style and script (by hash), images from `data:` URLs, and nothing
 * else: no other script or style, no fetch, frame, form, plugin, font or base URL.
 */
export function pageCsp(): string {
  csp ??= [
    "default-src 'none'",
    `script-src ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
  return csp;
}
