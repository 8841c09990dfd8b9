/// <reference lib="dom" />
/**
 * Headless Chromium for the HTML transcript's tests: Debian's own browser (`.ci/run` installs
 * it), driven by puppeteer-core; pages are opened with every request, dialog and console
 * error they cause recorded.
 */
import * as fs from "node:fs";
import process from "node:process";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** The browser used: Debian's `chromium` unless `ROLLOUT_CHROMIUM` names another. */
export const CHROMIUM = process.env.ROLLOUT_CHROMIUM ?? "/usr/bin/chromium";

/** False when the browser tests can run, else the reason they are skipped (printed once). */
export function browserSkip(file: string): string | false {
  if (fs.existsSync(CHROMIUM)) return false;
  const reason = `${CHROMIUM} is missing: \`apt-get install -y chromium\` (as .ci/run does)`;
  console.log(`${file}: skipped: ${reason}`);
  return reason;
}

/**
 * Launches the headless browser; the caller closes it. Should it not (a test run filtered so
 * that its `after` hooks do not run), the browser is killed when this process exits.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container: no user namespaces for the sandbox; /dev/shm may be small.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
  });
  const child = browser.process();
  const kill = () => child?.exitCode === null && child.kill("SIGKILL");
  // Bun emits the process's exit, `deno test` only the global unload.
  process.once("exit", kill);
  globalThis.addEventListener?.("unload", kill);
  return browser;
}

/** A page opened on a file, with what it did. */
export interface OpenedPage {
  page: Page;
  /** URLs requested besides the page itself and its data: images. */
  requests: string[];
  dialogs: string[];
  /** Console errors and uncaught exceptions (a CSP violation is one). */
  errors: string[];
}

/** Options of {@linkcode openPage}. */
export interface OpenOptions {
  /** Ignore the page's Content-Security-Policy, to test the escaping alone. */
  bypassCsp?: boolean;
  dark?: boolean;
  viewport?: { width: number; height: number; isMobile?: boolean };
}

/**
 * Opens `file` in a new page and waits for its load event and then two frames: the browser
 * decides which lazily rendered chunk (`content-visibility: auto`) is near the screen at a
 * rendering update, which a loaded page under load may not have had yet (its text then reads
 * as empty to `innerText`).
 */
export async function openPage(
  browser: Browser,
  file: string,
  options: OpenOptions = {},
): Promise<OpenedPage> {
  const page = await browser.newPage();
  const opened: OpenedPage = { page, requests: [], dialogs: [], errors: [] };
  const url = `file://${file}`;
  await page.setBypassCSP(options.bypassCsp === true);
  await page.emulateMediaFeatures([
    { name: "prefers-color-scheme", value: options.dark === true ? "dark" : "light" },
  ]);
  await page.setViewport(options.viewport ?? { width: 1000, height: 700 });
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const requested = request.url();
    if (requested === url || requested.startsWith("data:")) void request.continue();
    else {
      opened.requests.push(requested);
      void request.abort();
    }
  });
  page.on("dialog", (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error") opened.errors.push(message.text());
  });
  page.on("pageerror", (error) => opened.errors.push(String(error)));
  await page.goto(url, { waitUntil: "load" });
  await page.evaluate(() =>
    new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())))
  );
  return opened;
}
