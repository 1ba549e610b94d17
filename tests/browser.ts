/**
 * Headless Chromium for the web page tests: Debian's `chromium`, driven by
 * puppeteer-core (which downloads no browser), and the folder where each
 * test saves its screenshots as artifacts (`tests/artifacts/`, not
 * committed).
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Screenshots of the page tests land here, one per page. */
export const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/**
 * Chromium's flags for a closed network: without the background-networking
 * ones it keeps trying to reach Google's hosts at every start.
 */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

/**
 * Whether the browser tests run: where Chromium is installed, and always in
 * CI (`.ci/run` installs it), where a missing browser is a failure.
 */
export function hasChromium(): boolean {
  if (Deno.env.get("CI") !== undefined) return true;
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/**
 * Runs `body` with a fresh headless Chromium (its own empty profile) and
 * closes it afterwards, whatever `body` does.
 */
export async function withBrowser<T>(body: (browser: Browser) => Promise<T>): Promise<T> {
  const profile = await Deno.makeTempDir({ prefix: "p2p-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
  });
  try {
    return await body(browser);
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Saves a full-page screenshot of `page` as `tests/artifacts/NAME.png`. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}
