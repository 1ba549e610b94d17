/// <reference lib="dom" />
/**
 * The daemon's page in headless Chromium: adding by magnet link and by
 * catalog name, watching downloads complete, pausing and resuming,
 * removing, the piece map, and hostile names shown as text.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { publishTorrent } from "../../src/tracker/mod.ts";
import { hasChromium, saveScreenshot, withBrowser } from "../browser.ts";
import { testBytes } from "../helpers.ts";
import { withTracker } from "../tracker/tracker_helpers.ts";
import { makeTorrent, startSeed, withDaemon } from "./daemon_helpers.ts";

/** The text of a torrent's cell in the list (`name`, `state`, ...), or undefined without its row. */
function cellText(page: Page, hash: string, cell: string): Promise<string | undefined> {
  return page.evaluate(
    (hash, cell) =>
      document.querySelector(`tr[data-hash="${hash}"] td.${cell}`)?.textContent ?? undefined,
    hash,
    cell,
  );
}

/** Clicks the button labelled `label` in a torrent's row, in the page, between two redraws. */
async function clickIn(page: Page, hash: string, label: string): Promise<void> {
  const clicked = await page.evaluate(
    (hash, label) => {
      const buttons = document.querySelectorAll(`tr[data-hash="${hash}"] button`);
      const button = [...buttons].find((element) => element.textContent === label);
      (button as HTMLButtonElement | undefined)?.click();
      return button !== undefined;
    },
    hash,
    label,
  );
  assert.ok(clicked, `no ${label} button for ${hash}`);
}

async function waitForState(page: Page, hash: string, state: string): Promise<void> {
  await page.waitForFunction(
    (hash, state) =>
      document.querySelector(`tr[data-hash="${hash}"] td.state`)?.textContent === state,
    { timeout: 30_000 },
    hash,
    state,
  );
}

Deno.test({
  name: "daemon page: add by magnet and by name, complete, pause, resume, remove, piece map",
  ignore: !hasChromium(),
  async fn() {
    await withTracker({}, async (tracker) => {
      await withDaemon(async (daemon, dir) => {
        const announce = [tracker.announceUrl];
        const origin = join(dir, "origin");
        // Three seeds at 384 KiB/s each: the pieces of the large one come from all three.
        const large = await makeTorrent(
          origin,
          "lecture.mp4",
          testBytes(3 * 1024 * 1024, 9),
          announce,
        );
        const small = await makeTorrent(origin, "eBook.txt", testBytes(300_000, 10), announce);
        const hostile = await makeTorrent(origin, `<img src=x onerror=alert(1)>`, {
          [`"quoted" 'notes'.txt`]: testBytes(20_000, 11),
        }, announce);
        await publishTorrent(tracker.base, small.bytes);
        const seeds = await Promise.all([
          ...[1, 2, 3].map(() => startSeed(large.metainfo, origin, 384 * 1024)),
          startSeed(small.metainfo, origin),
          startSeed(hostile.metainfo, origin),
        ]);
        try {
          await withBrowser(async (browser) => {
            const page = await browser.newPage();
            await page.setViewport({ width: 1180, height: 760 });
            const alerts: string[] = [];
            page.on("dialog", async (dialog) => {
              if (dialog.type() === "alert") alerts.push(dialog.message());
              await dialog.accept();
            });
            await page.goto(daemon.url);
            assert.equal(new URL(page.url()).search, "", "the token leaves the address bar");
            assert.equal(
              await page.$eval("#empty", (element) => (element as HTMLElement).hidden),
              false,
            );

            await page.type(
              "#add-source",
              magnetOf(large.metainfo.infoHash.hex, tracker.announceUrl),
            );
            await page.click("#add-form button[type=submit]");
            await page.waitForFunction(() =>
              /^added /.test(document.getElementById("message")!.textContent!)
            );
            await page.type("#add-name", "eBook");
            await page.type("#add-tracker", tracker.base);
            await page.click("#add-form button[type=submit]");
            await page.waitForFunction(() =>
              document.getElementById("message")!.textContent === "added eBook.txt"
            );
            // The hostile one over the API: its name must reach the page as text.
            const form = new FormData();
            form.append("torrent", new File([hostile.bytes.slice()], "x.torrent"));
            assert.equal((await daemon.call("POST", "/torrents", form)).status, 201);

            const largeHash = large.metainfo.infoHash.hex;
            const smallHash = small.metainfo.infoHash.hex;
            const hostileHash = hostile.metainfo.infoHash.hex;
            await waitForState(page, smallHash, "seeding");
            await waitForState(page, hostileHash, "seeding");
            assert.equal(await cellText(page, largeHash, "name"), "lecture.mp4");
            await waitForState(page, largeHash, "seeding");
            assert.equal(await cellText(page, hostileHash, "name"), `<img src=x onerror=alert(1)>`);
            assert.equal(
              await page.$$eval("#torrents img, #legend img", (found) => found.length),
              0,
            );
            await saveScreenshot(page, "daemon-list");

            await clickIn(page, largeHash, "Pieces");
            await page.waitForFunction(() => !document.getElementById("details")!.hidden);
            await page.waitForFunction(() => document.querySelectorAll("#legend li").length >= 3);
            const legend = await page.$$eval(
              "#legend li",
              (items) => items.map((item) => item.textContent),
            );
            const ports = seeds.slice(0, 3).map((seed) => seed.port);
            assert.ok(
              legend.every((line) => ports.some((port) => line!.startsWith(`127.0.0.1:${port}: `))),
              `legend: ${legend.join("; ")}`,
            );
            const counted = legend.reduce(
              (sum, line) => sum + Number(/: (\d+)$/.exec(line!)![1]),
              0,
            );
            assert.equal(counted, large.metainfo.pieceCount);
            const painted = await page.$eval("#piece-map", (canvas) => {
              const context = (canvas as HTMLCanvasElement).getContext("2d")!;
              return [...context.getImageData(0, 0, 1, 1).data];
            });
            assert.notDeepEqual(painted, [0, 0, 0, 0], "the first piece is drawn");
            await page.$eval("#details", (element) => element.scrollIntoView());
            await saveScreenshot(page, "daemon-pieces");

            await clickIn(page, smallHash, "Pause");
            await waitForState(page, smallHash, "paused");
            assert.ok(
              await page.evaluate(
                (hash) =>
                  [...document.querySelectorAll(`tr[data-hash="${hash}"] button`)]
                    .some((button) => button.textContent === "Resume"),
                smallHash,
              ),
            );
            await saveScreenshot(page, "daemon-paused");
            await clickIn(page, smallHash, "Resume");
            await waitForState(page, smallHash, "seeding");

            await clickIn(page, hostileHash, "Remove with data");
            await page.waitForFunction(
              (hash) => document.querySelector(`tr[data-hash="${hash}"]`) === null,
              {},
              hostileHash,
            );
            const left = (await daemon.call("GET", "/torrents")).json.torrents as {
              infoHash: string;
            }[];
            assert.deepEqual(left.map((torrent) => torrent.infoHash), [largeHash, smallHash]);
            await assert.rejects(Deno.stat(join(dir, "downloads", `<img src=x onerror=alert(1)>`)));
            assert.deepEqual(alerts, [], "no script from a name ever ran");
          });
        } finally {
          await Promise.all(seeds.map((seed) => seed.close()));
        }
      });
    });
  },
});

function magnetOf(hex: string, tracker: string): string {
  return `magnet:?xt=urn:btih:${hex}&tr=${encodeURIComponent(tracker)}`;
}
