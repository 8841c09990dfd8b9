/// <reference lib="dom" />
/**
 * `rollout export --to html` opened in a real browser (Debian's headless Chromium): what a
 * person sees, what a click and the search box do, and that a hostile transcript runs nothing,
 * loads nothing and reads as the text it is.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, test } from "node:test";
import type { Browser } from "puppeteer-core";
import { visible } from "../../lib/base/visible_text.ts";
import { cli } from "../cli/cli_io.ts";
import { setup, tempDir } from "../helpers.ts";
import { browserSkip, launchBrowser, openPage } from "./browser.ts";
import {
  conversation,
  hostile,
  HOSTILE_FIELDS,
  hostileRollout,
  LONG_OUTPUT,
  longRollout,
  writeRollout,
} from "./session_fixtures.ts";

const skip = browserSkip("html_browser_test.ts");
const { dir, cleanup } = tempDir();
let browser: Promise<Browser> | null = null;
const shared = () => browser ??= launchBrowser();

after(async () => {
  if (browser !== null) await (await browser).close();
  cleanup();
});

/** Exports `file` to `dir/<name>.html` and returns the page's path. */
async function exported(file: string, name: string): Promise<string> {
  await setup();
  const target = path.join(dir, `${name}.html`);
  const result = await cli(["export", file, "--to", "html", "-o", target]);
  assert.equal(result.code, 0, result.stderr);
  return target;
}

test(
  "export --to html shows the conversation in order: roles, tool calls, outputs, markers, usage",
  {
    skip,
  },
  async () => {
    const { records, seen } = conversation();
    const page = await exported(writeRollout(dir, "conversation.jsonl", records), "conversation");
    const { page: tab, requests, dialogs, errors } = await openPage(await shared(), page);
    try {
      const shown = await tab.evaluate(() =>
        [...document.querySelectorAll("main .e, main .mk")].map((e) => {
          const label = e.classList.contains("mk")
            ? "marker"
            : e.querySelector(".h b")!.textContent!;
          return [label, (e as HTMLElement).innerText];
        })
      );
      assert.deepEqual(shown.map(([label]) => label), seen.map(([label]) => label));
      seen.forEach(([, text], i) =>
        assert.ok(shown[i]![1]!.includes(text), `${i}: ${shown[i]![1]}`)
      );
      const header = await tab.$eval("header", (h) => (h as HTMLElement).innerText);
      assert.match(header, /Session 019b0000-0000-7000-8000-0000000000a1/);
      assert.match(header, /cwd\s+\/work\/demo/);
      // The usage, moved up under the session's details once the page is read.
      assert.match(header, /gpt-5\.1-codex\s+2\s+2,700\s+1,200\s+120\s+0\s+2,820/);
      assert.equal(await tab.$eval("main", (m) => getComputedStyle(m).display), "block");
      assert.deepEqual({ requests, dialogs, errors }, { requests: [], dialogs: [], errors: [] });
    } finally {
      await tab.close();
    }
  },
);

test("export --to html: a folded output expands on click, an image loads", { skip }, async () => {
  const { records } = conversation();
  const page = await exported(writeRollout(dir, "fold.jsonl", records), "fold");
  const { page: tab, requests, errors } = await openPage(await shared(), page);
  try {
    const out = "main article.out";
    const before = await tab.$eval(out, (e) => (e as HTMLElement).innerText);
    assert.ok(before.includes("line 12") && !before.includes("line 13"), before);
    assert.match(before, /88 more lines/);
    await tab.click(`${out} summary`);
    const after = await tab.$eval(out, (e) => (e as HTMLElement).innerText);
    assert.ok(after.includes(LONG_OUTPUT.split("\n").slice(12).join("\n")), after);
    assert.equal(await tab.$eval(`${out} details`, (d) => (d as HTMLDetailsElement).open), true);

    await tab.$eval("main img", (img) => img.scrollIntoView());
    await tab.waitForFunction(() => {
      const img = document.querySelector("main img") as HTMLImageElement;
      return img.complete && img.naturalWidth > 0;
    }, { timeout: 10_000 });
    const size = await tab.$eval("main img", (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    assert.deepEqual(size, [24, 16]);
    assert.deepEqual({ requests, errors }, { requests: [], errors: [] });
  } finally {
    await tab.close();
  }
});

test("export --to html: the search box finds a word in a folded output and scrolls it into view", {
  skip,
}, async () => {
  const page = await exported(longRollout(dir, 300, { turn: 250, word: "zephyr" }), "long");
  const { page: tab, errors } = await openPage(await shared(), page);
  try {
    await tab.type("#q", "ZEPHYR");
    await tab.keyboard.press("Enter");
    await tab.waitForFunction(() => document.getElementById("n")!.textContent === "1 / 1");
    // Two frames: the script centres the hit again once its chunk is rendered.
    await tab.evaluate(() =>
      new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
    );
    const hit = await tab.evaluate(() => {
      const walk = document.createTreeWalker(document.querySelector("main")!, NodeFilter.SHOW_TEXT);
      for (let t = walk.nextNode(); t !== null; t = walk.nextNode()) {
        const at = (t as Text).data.indexOf("zephyr");
        if (at < 0) continue;
        const range = new Range();
        range.setStart(t, at);
        range.setEnd(t, at + 6);
        const box = range.getBoundingClientRect();
        return {
          top: box.top,
          bottom: box.bottom,
          height: innerHeight,
          scrolled: scrollY,
          open: (t.parentElement!.closest("details") as HTMLDetailsElement).open,
          turn: t.parentElement!.closest("article")!.querySelector(".h")!.textContent,
        };
      }
      return null;
    });
    assert.ok(hit !== null);
    assert.equal(hit.open, true, "the folded output holding the hit is opened");
    assert.ok(hit.top >= 0 && hit.bottom <= hit.height, JSON.stringify(hit));
    assert.ok(hit.scrolled > 10_000, JSON.stringify(hit));
    assert.match(hit.turn!, /call_250/);
    // Not found: says so.
    await tab.$eval("#q", (q) => (q as HTMLInputElement).value = "");
    await tab.type("#q", "nowhere-to-be-found");
    await tab.keyboard.press("Enter");
    await tab.waitForFunction(() => document.getElementById("n")!.textContent === "no match");
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
  }
});

for (const bypassCsp of [false, true]) {
  const what = bypassCsp ? "with the CSP switched off (escaping alone)" : "under its CSP";
  test(
    `export --to html of a hostile transcript runs no script and shows the text literally, ${what}`,
    {
      skip,
    },
    async () => {
      const page = await exported(hostileRollout(dir), `hostile-${bypassCsp}`);
      const opened = await openPage(await shared(), page, { bypassCsp });
      const { page: tab } = opened;
      try {
        const seen = await tab.evaluate(() => {
          const elements = [...document.querySelectorAll("*")];
          return {
            pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
            text: document.body.textContent!,
            scripts: document.scripts.length,
            styles: document.querySelectorAll("style").length,
            tags: [...new Set(elements.map((e) => e.tagName.toLowerCase()))].sort(),
            handlers: elements.flatMap((e) =>
              [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)
            ),
            images: [...document.images].map((i) => i.getAttribute("src")!.slice(0, 22)),
            links: [...document.querySelectorAll("a")].map((a) => [a.getAttribute("href"), a.rel]),
            bodyShown: getComputedStyle(document.body).display,
          };
        });
        assert.equal(seen.pwned, null);
        assert.deepEqual(opened.dialogs, []);
        assert.deepEqual(opened.requests, []);
        assert.equal(seen.scripts, 1);
        assert.equal(seen.styles, 1);
        assert.equal(seen.bodyShown, "block");
        assert.deepEqual(seen.handlers, []);
        assert.deepEqual(seen.images, []);
        const allowed = [
          "a",
          "article",
          "b",
          "body",
          "button",
          "code",
          "dd",
          "details",
          "div",
          "dl",
          "dt",
          "footer",
          "h1",
          "h2",
          "head",
          "header",
          "html",
          "input",
          "main",
          "meta",
          "p",
          "script",
          "section",
          "span",
          "style",
          "summary",
          "table",
          "tbody",
          "td",
          "th",
          "thead",
          "title",
          "tr",
        ];
        assert.deepEqual(seen.tags.filter((t) => !allowed.includes(t)), []);
        for (const [href, rel] of seen.links) {
          if (href!.startsWith("#i")) continue;
          assert.ok(href!.startsWith("https://evil.example/"), href!);
          assert.equal(rel, "noopener noreferrer nofollow");
        }
        for (const [field, shown] of HOSTILE_FIELDS) {
          const expected = visible(shown(hostile(field)));
          assert.ok(seen.text.includes(expected), `the ${field} is shown literally`);
        }
        assert.ok(seen.text.includes("\u27e8U+202E\u27e9gnp.exe\u27e8U+202C\u27e9"));
        assert.ok(!seen.text.includes("\u202e"), "no bidi override reaches the page");
        assert.deepEqual(opened.errors, []);
      } finally {
        await tab.close();
      }
    },
  );
}

test("export --to html: the page's policy blocks any script, style, load or fetch but its own", {
  skip,
}, async () => {
  const { records } = conversation();
  const page = await exported(writeRollout(dir, "csp.jsonl", records), "csp");
  const { page: tab, requests, dialogs } = await openPage(await shared(), page);
  try {
    const seen = await tab.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener(
        "securitypolicyviolation",
        (e) => violations.push(e.effectiveDirective),
      );
      const w = window as unknown as { __pwned?: unknown };
      const main = document.querySelector("main")!;
      const img = document.createElement("img");
      img.setAttribute("src", "https://evil.example/pixel.png");
      main.append(img);
      const styled = document.createElement("p");
      styled.setAttribute("style", "display:none");
      main.append(styled);
      let scriptRefused = false;
      try {
        const script = document.createElement("script");
        script.textContent = "window.__pwned = 1";
        main.append(script);
      } catch {
        scriptRefused = true; // Trusted Types: no string becomes a script
      }
      let handlerRefused = false;
      try {
        const handler = document.createElement("div");
        handler.setAttribute("onclick", "window.__pwned = 2");
        main.append(handler);
        handler.click();
      } catch {
        handlerRefused = true; // nor an event handler
      }
      let fetched = "no";
      await fetch("https://evil.example/").then(() => fetched = "yes", () => fetched = "refused");
      await new Promise((r) => setTimeout(r, 200));
      return {
        violations: [...new Set(violations)].sort(),
        pwned: w.__pwned ?? null,
        scriptRefused,
        handlerRefused,
        fetched,
        hidden: getComputedStyle(styled).display === "none",
        policy: document.querySelector('meta[http-equiv="Content-Security-Policy"]')!
          .getAttribute("content"),
      };
    });
    assert.equal(seen.pwned, null);
    assert.equal(seen.scriptRefused, true);
    assert.equal(seen.handlerRefused, true);
    assert.equal(seen.fetched, "refused");
    assert.equal(seen.hidden, false);
    assert.deepEqual(seen.violations, [
      "connect-src",
      "img-src",
      "require-trusted-types-for",
      "style-src-attr",
    ]);
    assert.match(
      seen.policy!,
      /^default-src 'none'; script-src 'sha256-[\w+/]+='; style-src 'sha256-[\w+/]+='; img-src data:; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'$/,
    );
    assert.deepEqual({ requests, dialogs }, { requests: [], dialogs: [] });
  } finally {
    await tab.close();
  }
});

test("export --to html reads on a phone and in dark mode", { skip }, async () => {
  const { records } = conversation();
  records.push(
    {
      type: "response_item",
      payload: { type: "function_call_output", call_id: "x", output: "w".repeat(3000) },
    },
  );
  const page = await exported(writeRollout(dir, "phone.jsonl", records), "phone");
  const { page: tab, errors } = await openPage(await shared(), page, {
    dark: true,
    viewport: { width: 375, height: 667, isMobile: true },
  });
  try {
    const seen = await tab.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      inner: innerWidth,
      background: getComputedStyle(document.body).backgroundColor,
      colour: getComputedStyle(document.body).color,
    }));
    assert.ok(seen.width <= seen.inner, JSON.stringify(seen));
    assert.equal(seen.background, "rgb(13, 17, 23)");
    assert.equal(seen.colour, "rgb(230, 237, 243)");
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
  }
});

test("export --to html of the bundled example makes a screenshot", { skip }, async () => {
  await setup();
  const home = path.join(dir, "example-home");
  const ops = fs.readFileSync(
    path.join(import.meta.dirname!, "../../examples/conversation.ops.jsonl"),
    "utf8",
  );
  const recorded = await cli(["proto", "--home", home], { stdin: ops });
  assert.equal(recorded.code, 0, recorded.stderr);
  const target = path.join(dir, "example.html");
  const result = await cli(["export", "--last", "--home", home, "--to", "html", "-o", target]);
  assert.equal(result.code, 0, result.stderr);
  const { page: tab, errors } = await openPage(await shared(), target);
  try {
    const shot = await tab.screenshot({ fullPage: true });
    assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.ok(shot.length > 10_000);
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
  }
});
