/**
 * The README's pictures of `rollout export --to html`: the bundled example conversation
 * (examples/conversation.ops.jsonl, recorded through `rollout proto`) exported and shot in
 * Debian's headless Chromium, light and dark. Not shipped.
 *
 *   deno run -A scripts/screenshot.ts [OUT_DIR]     (default docs/)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import puppeteer from "puppeteer-core";
import { run } from "../lib/cli/cli.ts";
import { initRuntime } from "../lib/runtime/runtime.ts";
import { fakeIo } from "../tests/cli/cli_io.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const CHROMIUM = process.env.ROLLOUT_CHROMIUM ?? "/usr/bin/chromium";

async function rollout(argv: string[], stdin = ""): Promise<void> {
  const fake = fakeIo({ stdin });
  const code = await run(argv, fake.io);
  if (code !== 0) throw new Error(`rollout ${argv.join(" ")}: ${fake.err()}`);
}

async function main(outDir: string): Promise<void> {
  await initRuntime();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "demo-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
  });
  try {
    const ops = fs.readFileSync(path.join(ROOT, "examples", "conversation.ops.jsonl"), "utf8");
    await rollout(["proto", "--home", home], ops);
    const page = path.join(home, "session.html");
    await rollout(["export", "--last", "--home", home, "--to", "html", "-o", page]);
    for (const [name, scheme] of [["transcript.png", "light"], ["transcript-dark.png", "dark"]]) {
      const tab = await browser.newPage();
      await tab.setViewport({ width: 860, height: 600, deviceScaleFactor: 1 });
      await tab.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme! }]);
      await tab.goto(`file://${page}`, { waitUntil: "load" });
      await tab.type("#q", "main.ts");
      await tab.keyboard.press("Enter");
      await tab.evaluate(() => scrollTo(0, 0));
      const file = path.join(outDir, name!);
      await tab.screenshot({ path: file as `${string}.png`, fullPage: true });
      process.stdout.write(`${file}\n`);
      await tab.close();
    }
  } finally {
    await browser.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await main(path.resolve(process.argv[2] ?? path.join(ROOT, "docs")));
