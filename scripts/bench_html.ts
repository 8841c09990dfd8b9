/// <reference lib="dom" />
/**
 * B11 (BENCH.md, SPEC §9): `export --to html` of a generated 100 MiB Codex rollout (real PNG
 * screenshots), the page opened in Debian's headless Chromium beside its reference, the same
 * page cut after its first chunk of the conversation (more than the first screen). Prints when
 * the first screen is rendered (largest contentful paint, goal ≤ 1 s after the load starts),
 * the script work of the whole page (goal ≤ 3 s), the file's size against the text it shows
 * plus its images (goal ≤ 1.2 ×), and what a reader does next: search, jump to the end.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { addRow, ratios, type Results } from "./bench_report.ts";
import { remove, scratch, type Settings } from "./bench_fixtures.ts";
import { writeBigRollout } from "./big_rollout.ts";
import { pngDataUrl } from "./png.ts";

const CHROMIUM = process.env.ROLLOUT_CHROMIUM ?? "/usr/bin/chromium";
const MiB = 1024 * 1024;

/** A PNG of random pixels, stored uncompressed: a data URL of about `bytes`, distinct per seed. */
function noisePng(seed: number, bytes: number): string {
  const side = Math.max(1, Math.floor(Math.sqrt((bytes * 3) / 4 / 3)));
  let x = seed * 2654435761 >>> 0;
  const next = () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return pngDataUrl(side, side, () => [next(), next(), next()], { level: 0 });
}

/** What one opening of a page measured, in milliseconds from the start of the load. */
interface Opening {
  fcp: number;
  lcp: number;
  parsed: number;
  load: number;
  /** Script, and style plus layout, run by the page's renderer until the load ended. */
  script: number;
  layout: number;
  /** Bytes of the text the page shows (folded parts included) and of its images' URLs. */
  text: number;
  images: number;
  /** Searching the whole page for a word it does not hold; jumping to its end, rendered. */
  search: number;
  end: number;
}

async function open(browser: Browser, file: string): Promise<Opening> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`file://${file}`, { waitUntil: "load", timeout: 600_000 });
    // The paint entries come once the frames are presented: wait for the first contentful
    // paint, then two more frames for the largest one.
    const paints = await page.evaluate(() =>
      new Promise<{ fcp: number; lcp: number; parsed: number; load: number }>((resolve) => {
        let lcp = Number.NaN;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) lcp = entry.startTime;
        }).observe({ type: "largest-contentful-paint", buffered: true });
        const done = (fcp: number) =>
          requestAnimationFrame(() =>
            requestAnimationFrame(() => {
              const nav = performance.getEntriesByType(
                "navigation",
              )[0] as PerformanceNavigationTiming;
              resolve({ fcp, lcp, parsed: nav.domContentLoadedEventEnd, load: nav.loadEventEnd });
            })
          );
        new PerformanceObserver((list, observer) => {
          const fcp = list.getEntriesByName("first-contentful-paint")[0];
          if (fcp === undefined) return;
          observer.disconnect();
          done(fcp.startTime);
        }).observe({ type: "paint", buffered: true });
      })
    );
    const metrics = await page.metrics();
    const read = await page.evaluate(() => {
      const encoder = new TextEncoder();
      let text = 0;
      for (const part of document.querySelectorAll("header, main, footer")) {
        text += encoder.encode(part.textContent ?? "").length;
      }
      let images = 0;
      for (const img of document.images) images += img.getAttribute("src")?.length ?? 0;
      const box = document.getElementById("q") as HTMLInputElement;
      box.value = "no-such-word-anywhere";
      const start = performance.now();
      box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
      const search = performance.now() - start;
      return { text, images, search };
    });
    const end = await page.evaluate(() =>
      new Promise<number>((resolve) => {
        const start = performance.now();
        scrollTo(0, document.documentElement.scrollHeight);
        requestAnimationFrame(() =>
          requestAnimationFrame(() => resolve(performance.now() - start))
        );
      })
    );
    return {
      ...paints,
      script: (metrics.ScriptDuration ?? Number.NaN) * 1000,
      layout: ((metrics.LayoutDuration ?? 0) + (metrics.RecalcStyleDuration ?? 0)) * 1000,
      ...read,
      end,
    };
  } finally {
    await context.close();
  }
}

/** The page cut after its first chunk of the conversation, closed as the page closes it. */
function firstChunkOnly(page: string, out: string): void {
  const html = fs.readFileSync(page, "utf8");
  const cut = html.indexOf("</section>", html.indexOf('<main id="conv">'));
  fs.writeFileSync(out, `${html.slice(0, cut)}</section>\n</main>\n</body>\n</html>\n`);
}

/** B11: the HTML page of a 100 MiB session in a browser, against its first chunk alone. */
export async function benchB11(results: Results, s: Settings): Promise<void> {
  const missing = !fs.existsSync(s.binary)
    ? `${s.binary} is missing (run npm run build)`
    : !fs.existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install -y chromium)`
    : null;
  if (missing !== null) {
    results.skips.push({ id: "B11", reason: missing });
    return;
  }
  const dir = scratch("b11");
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
    protocolTimeout: 600_000,
  });
  try {
    const sizeMiB = s.quick ? 4 : 100;
    const rollout = path.join(dir, "big.jsonl");
    process.stderr.write(` generating ${sizeMiB} MiB...`);
    const made = writeBigRollout(rollout, sizeMiB * MiB, { image: noisePng });
    const page = path.join(dir, "big.html");
    const reference = path.join(dir, "first.html");
    const exports: number[] = [];
    for (let rep = 0; rep < s.reps; rep++) {
      fs.rmSync(page, { force: true });
      const start = performance.now();
      const run = spawnSync(s.binary, ["export", rollout, "--to", "html", "-o", page], {
        encoding: "utf8",
      });
      exports.push(performance.now() - start);
      if (run.status !== 0) throw new Error(`export --to html exited ${run.status}: ${run.stderr}`);
    }
    firstChunkOnly(page, reference);
    const pageBytes = fs.statSync(page).size;
    results.notes.push(
      `B11: a ${(made.bytes / 1e6).toFixed(0)} MB rollout (${
        made.lines.toLocaleString("en-US")
      } lines, 64 KiB tool outputs, a 256 KiB PNG every fifth turn) makes a ${
        (pageBytes / 1e6).toFixed(1)
      } MB page; its reference, the page cut after its first chunk, is ${
        (fs.statSync(reference).size / 1e6).toFixed(2)
      } MB; Chromium ${(await browser.version()).replace(/^\D+/, "")}, 1280 × 800`,
    );
    await open(browser, reference); // a first run warms the browser's own caches
    const full: Opening[] = [];
    const first: Opening[] = [];
    for (let rep = 0; rep < s.reps; rep++) {
      full.push(await open(browser, page));
      first.push(await open(browser, reference));
    }
    const row = (
      label: string,
      unit: string,
      samples: number[],
      goal?: [string, (m: number) => boolean],
    ) => addRow(results, { id: "B11", label, unit, samples }, goal);
    row(
      "export --to html (compiled binary)",
      "MB/s",
      exports.map((ms) => made.bytes / 1e6 / (ms / 1000)),
    );
    row("first screen rendered (LCP), whole page", "ms", full.map((o) => o.lcp), [
      "≤ 1,000",
      (m) => m <= 1000,
    ]);
    row("first screen rendered (LCP), first chunk only", "ms", first.map((o) => o.lcp));
    row("first paint (FCP), whole page", "ms", full.map((o) => o.fcp));
    row("first paint (FCP), first chunk only", "ms", first.map((o) => o.fcp));
    row("whole page parsed (DOMContentLoaded)", "ms", full.map((o) => o.parsed));
    row("script work until load, whole page", "ms", full.map((o) => o.script), [
      "≤ 3,000",
      (m) => m <= 3000,
    ]);
    row("script work until load, first chunk only", "ms", first.map((o) => o.script));
    row("style and layout until load, whole page", "ms", full.map((o) => o.layout));
    row("search of the whole page, no match", "ms", full.map((o) => o.search));
    row("jump to the end, rendered", "ms", full.map((o) => o.end));
    row("page size", "MB", [pageBytes / 1e6]);
    row(
      "page size / (text shown + images)",
      "×",
      full.map((o) => pageBytes / (o.text + o.images)),
      ["≤ 1.2", (m) => m <= 1.2],
    );
    row(
      "LCP whole page / LCP first chunk",
      "×",
      ratios(full.map((o) => o.lcp), first.map((o) => o.lcp)),
    );
  } finally {
    await browser.close();
    remove(dir);
  }
}
