import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { publishTorrent } from "../../src/tracker/mod.ts";
import { hasChromium, saveScreenshot, withBrowser } from "../browser.ts";
import { withTempDir } from "../helpers.ts";
import { withTracker } from "./tracker_helpers.ts";
import {
  announcePeer,
  hashOf,
  HOSTILE_FILE,
  HOSTILE_NAME,
  HOSTILE_PEER,
  makeTorrent,
} from "./web_helpers.ts";

const TOKEN = "s3cret";
/** Samples the charts often, so that a test sees a line of several points. */
const SAMPLE_MS = 150;

/** Waits for the navigation that `action` starts and returns its HTTP status. */
async function navigation(page: Page, action: () => Promise<unknown>): Promise<number> {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  return response?.status() ?? 0;
}

const textOf = (page: Page, selector: string) =>
  page.$eval(selector, (element) => element.textContent ?? "");

Deno.test({
  name:
    "web pages in Chromium: catalog, search, torrent page with chart, download, publish form, stats",
  ignore: !hasChromium(),
  async fn() {
    await withTempDir(async (dir) => {
      await withTracker({ publishToken: TOKEN, historySampleMs: SAMPLE_MS }, async ({ base }) => {
        const album = makeTorrent("Holiday album 2026", [
          { path: ["day 1", "beach.jpg"], length: 3_400_000 },
          { path: ["day 1", "dunes.jpg"], length: 2_900_000 },
          { path: ["day 2", "harbour.jpg"], length: 4_100_000 },
          { path: ["notes.txt"], length: 12_000 },
        ]);
        const hostile = makeTorrent(HOSTILE_NAME, [{ path: [HOSTILE_FILE], length: 5000 }]);
        const albumHex = hashOf(album);
        const hostileHex = hashOf(hostile);
        await publishTorrent(base, album, { token: TOKEN, peerName: "client1" });
        await publishTorrent(base, hostile, { token: TOKEN, peerName: HOSTILE_PEER });
        // A swarm that grows over a few samples, for the chart.
        const names = ["client1", "client2", "client3"];
        for (let peer = 1; peer <= 6; peer++) {
          const seeder = peer <= names.length;
          await announcePeer(base, albumHex, peer, {
            left: seeder ? 0 : 1000,
            name: seeder ? names[peer - 1] : undefined,
          });
          await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        }
        await announcePeer(base, hostileHex, 9, { left: 0, name: HOSTILE_PEER });

        await withBrowser(async (browser) => {
          const page = await browser.newPage();
          await page.setViewport({ width: 1000, height: 700 });
          const dialogs: string[] = [];
          const errors: string[] = [];
          page.on("dialog", (dialog) => {
            dialogs.push(dialog.message());
            dialog.dismiss().catch(() => {});
          });
          page.on("pageerror", (error) => errors.push(String(error)));
          // A Content-Security-Policy violation is a console error (so are the 401 and the
          // favicon's 404, which are no fault of the page's).
          page.on("console", (message) => {
            if (/Content Security Policy/i.test(message.text())) errors.push(message.text());
          });

          // The catalog, and a search through its form.
          assert.equal((await page.goto(`${base}/`))?.status(), 200);
          assert.equal((await page.$$("table.torrents tbody tr")).length, 2);
          const names = await page.$$eval(
            "table.torrents tbody a",
            (links) => links.map((link) => link.textContent),
          );
          assert.deepEqual(names.toSorted(), [HOSTILE_NAME, "Holiday album 2026"].toSorted());
          await saveScreenshot(page, "tracker-catalog");
          await page.type("input[name=q]", "holiday");
          assert.equal(await navigation(page, () => page.keyboard.press("Enter")), 200);
          assert.ok(page.url().endsWith("/?q=holiday"));
          assert.equal((await page.$$("table.torrents tbody tr")).length, 1);

          // The torrent's page, by its link: files, seeders, the chart drawn by uPlot.
          assert.equal(await navigation(page, () => page.click("table.torrents tbody a")), 200);
          assert.equal(new URL(page.url()).pathname, `/torrent/${albumHex}`);
          assert.equal(await textOf(page, "h1"), "Holiday album 2026");
          assert.equal(await textOf(page, "[data-field=seeders]"), "3");
          assert.equal(await textOf(page, "[data-field=leechers]"), "3");
          const seeders = await page.$$eval(
            "ul.peers li",
            (items) => items.map((item) => item.textContent),
          );
          assert.deepEqual(seeders.toSorted(), ["client1", "client2", "client3"]);
          const files = await page.$$eval(
            "table.files tbody td:first-child",
            (cells) => cells.map((cell) => cell.textContent),
          );
          assert.equal(files.length, 4);
          assert.ok(files.includes("Holiday album 2026/day 2/harbour.jpg"));
          await page.waitForSelector("figure.enhanced .uplot canvas");
          assert.equal(await page.$("figure svg"), null, "uPlot's chart took the SVG's place");
          const magnet = await page.$eval("a[href^='magnet:']", (a) => a.getAttribute("href"));
          assert.match(magnet!, new RegExp(`xt=urn:btih:${albumHex}`));
          await saveScreenshot(page, "tracker-torrent");

          // Its .torrent link gives back the published bytes.
          const href = await page.$eval("a[download]", (a) => a.getAttribute("href"));
          const download = await fetch(new URL(href!, base));
          assert.equal(download.headers.get("content-type"), "application/x-bittorrent");
          const bytes = new Uint8Array(await download.arrayBuffer());
          assert.deepEqual(bytes, album);
          assert.equal(parseMetainfo(bytes).infoHash.hex, albumHex);

          // Without JavaScript the page is whole, with the server's SVG chart.
          await page.setJavaScriptEnabled(false);
          await page.reload();
          assert.equal(await textOf(page, "h1"), "Holiday album 2026");
          assert.equal(await page.$(".uplot"), null);
          assert.ok((await page.$$("svg.chart polyline")).length === 2);
          const points = await page.$eval(
            "svg.chart polyline.seeders",
            (line) => line.getAttribute("points")!.split(" ").length,
          );
          assert.ok(points >= 3, `${points} points in the chart`);
          await page.setJavaScriptEnabled(true);

          // The hostile names are text: shown, never run.
          await page.goto(`${base}/torrent/${hostileHex}`);
          assert.equal(await textOf(page, "h1"), HOSTILE_NAME);
          assert.equal(await textOf(page, "ul.peers li"), HOSTILE_PEER);
          assert.equal(
            await textOf(page, "table.files tbody td"),
            `${HOSTILE_NAME}/${HOSTILE_FILE}`,
          );
          assert.match(await textOf(page, "dl.facts"), /by <\/script><script>alert\(2\)<\/script>/);
          assert.equal(await page.$("img, b"), null, "no element made of a name");
          await saveScreenshot(page, "tracker-hostile");

          // The publish form: refused with a wrong token, published with the right one.
          const upload = join(dir, "new.torrent");
          const fresh = makeTorrent("fresh upload.iso", [{
            path: ["fresh upload.iso"],
            length: 70_000,
          }]);
          await Deno.writeFile(upload, fresh);
          await page.goto(`${base}/publish`);
          const input = await page.$("input[type=file]");
          await input!.uploadFile(upload);
          await page.type("input[name=token]", "wrong");
          assert.equal(await navigation(page, () => page.click("button[type=submit]")), 401);
          assert.match(await textOf(page, ".error"), /wrong publish token/);
          await saveScreenshot(page, "tracker-publish-refused");
          await (await page.$("input[type=file]"))!.uploadFile(upload);
          await page.type("input[name=token]", TOKEN);
          await page.type("input[name=publisher]", "browser user");
          assert.equal(await navigation(page, () => page.click("button[type=submit]")), 200);
          assert.equal(new URL(page.url()).pathname, `/torrent/${hashOf(fresh)}`);
          assert.equal(await textOf(page, "h1"), "fresh upload.iso");
          assert.match(await textOf(page, "dl.facts"), /by browser user/);

          // Stats, refreshed live by the page's script.
          await page.goto(`${base}/stats`);
          assert.equal(await textOf(page, "[data-field=published]"), "3");
          assert.equal(await textOf(page, "[data-field=peers]"), "7");
          await saveScreenshot(page, "tracker-stats");
          await announcePeer(base, albumHex, 20, { left: 0 });
          await page.waitForFunction(
            `document.querySelector("[data-field=peers]")?.textContent === "8"`,
            { timeout: 15_000 },
          );

          assert.deepEqual(dialogs, [], "no script ran from a name");
          assert.deepEqual(errors, [], "the page script ran without errors or refusals");
        });
      });
    });
  },
});
