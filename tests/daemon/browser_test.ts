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
import { magnetOf, makeTorrent, seededPack, startSeed, withDaemon } from "./daemon_helpers.ts";

// In-page code is written as expressions (strings): the test's own type check
// has no DOM, and the page's values are plain data.

/** What an expression evaluates to in the page. */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Waits until an expression holds in the page. */
async function until(page: Page, expression: string): Promise<void> {
  await page.waitForFunction(expression, { timeout: 30_000 });
}

/** The expression for a torrent's row (info hashes are hex: safe inside the selector). */
function row(hash: string): string {
  return `document.querySelector('tr[data-hash="${hash}"]')`;
}

/** The text of a torrent's cell in the list (`name`, `state`, ...). */
function cellText(page: Page, hash: string, cell: string): Promise<string | null> {
  return inPage(page, `${row(hash)}?.querySelector("td.${cell}")?.textContent ?? null`);
}

/** The labels of a torrent's buttons. */
function buttonsOf(page: Page, hash: string): Promise<string[]> {
  return inPage(
    page,
    `[...(${row(hash)}?.querySelectorAll("button") ?? [])].map((b) => b.textContent)`,
  );
}

/** Clicks the button labelled `label` in a torrent's row, in the page, between two redraws. */
async function clickIn(page: Page, hash: string, label: string): Promise<void> {
  const clicked = await inPage<boolean>(
    page,
    `(() => {
      const button = [...(${row(hash)}?.querySelectorAll("button") ?? [])]
        .find((b) => b.textContent === ${JSON.stringify(label)});
      button?.click();
      return button !== undefined;
    })()`,
  );
  assert.ok(clicked, `no ${label} button for ${hash}`);
}

async function waitForState(page: Page, hash: string, state: string): Promise<void> {
  await until(
    page,
    `${row(hash)}?.querySelector("td.state")?.textContent === ${JSON.stringify(state)}`,
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
        // Three seeds at 256 KiB/s each: the pieces of the large one come from all three.
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
          ...[1, 2, 3].map(() => startSeed(large.metainfo, origin, 256 * 1024)),
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
            assert.equal(await inPage(page, `document.getElementById("empty").hidden`), false);

            await page.type(
              "#add-source",
              magnetOf(large.metainfo.infoHash.hex, tracker.announceUrl),
            );
            await page.click("#add-form button[type=submit]");
            await until(page, `/^added /.test(document.getElementById("message").textContent)`);
            await page.type("#add-name", "eBook");
            await page.type("#add-tracker", tracker.base);
            await page.click("#add-form button[type=submit]");
            await until(
              page,
              `document.getElementById("message").textContent === "added eBook.txt"`,
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
            await until(page, `!document.getElementById("details").hidden`);
            await until(page, `document.querySelectorAll("#legend li").length >= 3`);
            const legend = await inPage<string[]>(
              page,
              `[...document.querySelectorAll("#legend li")].map((item) => item.textContent)`,
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
            const painted = await inPage<number[]>(
              page,
              `[...document.getElementById("piece-map").getContext("2d").getImageData(0, 0, 1, 1).data]`,
            );
            assert.notDeepEqual(painted, [0, 0, 0, 0], "the first piece is drawn");
            await inPage(page, `document.getElementById("details").scrollIntoView()`);
            await saveScreenshot(page, "daemon-pieces");

            // File names with quotes and markup, as text.
            await clickIn(page, hostileHash, "Pieces");
            await until(
              page,
              `document.getElementById("details-name").textContent.startsWith("<img")`,
            );
            assert.deepEqual(
              await inPage(
                page,
                `[...document.querySelectorAll("#files li")].map((li) => li.textContent)`,
              ),
              [`"quoted" 'notes'.txt (19.5 KiB)`],
            );
            assert.equal(await inPage(page, `document.querySelectorAll("#details img").length`), 0);

            await clickIn(page, smallHash, "Pause");
            await waitForState(page, smallHash, "paused");
            assert.deepEqual(await buttonsOf(page, smallHash), [
              "Resume",
              "Pieces",
              "Remove",
              "Remove with data",
            ]);
            await saveScreenshot(page, "daemon-paused");
            await clickIn(page, smallHash, "Resume");
            await waitForState(page, smallHash, "seeding");

            await clickIn(page, hostileHash, "Remove with data");
            await until(page, `${row(hostileHash)} === null`);
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

Deno.test({
  name: "daemon page: the files' boxes choose what downloads; checking more fetches the rest",
  ignore: !hasChromium(),
  async fn() {
    await withTracker({}, async (tracker) => {
      await withDaemon(async (daemon, dir) => {
        const { contents, hash, client: seed } = await seededPack(
          join(dir, "origin"),
          tracker.announceUrl,
          21,
        );
        try {
          const added = await daemon.call("POST", "/torrents", {
            source: magnetOf(hash, tracker.announceUrl),
            files: [1],
          });
          assert.equal(added.status, 201, JSON.stringify(added.json));
          await withBrowser(async (browser) => {
            const page = await browser.newPage();
            await page.goto(daemon.url);
            await waitForState(page, hash, "seeding");
            await clickIn(page, hash, "Pieces");
            const boxes = `[...document.querySelectorAll("#files input[type=checkbox]")]`;
            await until(page, `${boxes}.length === 3`);
            assert.deepEqual(await inPage(page, `${boxes}.map((box) => box.checked)`), [
              false,
              true,
              false,
            ]);
            // Unchecking the only file is refused, and the box comes back.
            await inPage(page, `${boxes}[1].click()`);
            await until(page, `document.getElementById("message").className === "error"`);
            await until(page, `${boxes}[1].checked`);
            await inPage(page, `${boxes}[0].click()`);
            await until(
              page,
              `/^downloading 2 of 3 files/.test(document.getElementById("message").textContent)`,
            );
            await inPage(page, `${boxes}[2].click()`);
            await until(
              page,
              `/^downloading 3 of 3 files/.test(document.getElementById("message").textContent)`,
            );
            await waitForState(page, hash, "seeding");
            await saveScreenshot(page, "daemon-files");
          });
          const folder = join(dir, "downloads", "pack");
          for (const [index, name] of ["a.bin", "b.bin", "c.bin"].entries()) {
            for (let i = 0; i < 100; i++) {
              if (await Deno.stat(join(folder, name)).then(() => true, () => false)) break;
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            assert.deepEqual(await Deno.readFile(join(folder, name)), contents[index]);
          }
        } finally {
          await seed.close();
        }
      });
    });
  },
});
