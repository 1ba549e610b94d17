// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno run -A scripts/tracker_screenshots.ts`: the README's pictures of
 * the tracker's pages (docs/tracker-*.png). An in-process tracker on
 * loopback, with a clock of its own that runs six hours in a few seconds
 * while a swarm grows and shrinks, so that the chart has something to show;
 * then headless Chromium (Debian's) at 1000 × 700.
 *
 * @module
 */
import { encodeAnnounceRequest, publishTorrent } from "../src/tracker/mod.ts";
import { hasChromium, withBrowser } from "../tests/browser.ts";
import { id, withTracker } from "../tests/tracker/tracker_helpers.ts";
import { announceFields, UdpPeer } from "../tests/tracker/udp_helpers.ts";
import { announcePeer, hashOf, makeTorrent } from "../tests/tracker/web_helpers.ts";

const DOCS = new URL("../docs/", import.meta.url).pathname;
const STEP_MS = 5 * 60_000;
const STEPS = 72;
/** Real milliseconds between the tracker's samples (each a step of its clock). */
const SAMPLE_MS = 60;
/** The stats page's rates: announces each 10 s of the clock for its last minute. */
const RATE_STEPS = 7;
const HTTP_PER_STEP = 240;
const UDP_PER_STEP = 90;
/** Real time for the tracker's once-a-second timer to take its rate sample. */
const RATE_TICK_MS = 1100;

if (!hasChromium()) {
  console.error("tracker_screenshots: needs Chromium at /usr/bin/chromium");
  Deno.exit(1);
}

let clock = Date.now() - STEPS * STEP_MS;
await withTracker({ now: () => clock, historySampleMs: SAMPLE_MS }, async (tracker) => {
  const { base } = tracker;
  const album = makeTorrent("Holiday album 2026", [
    { path: ["day 1", "beach.jpg"], length: 3_400_000 },
    { path: ["day 1", "dunes.jpg"], length: 2_900_000 },
    { path: ["day 2", "harbour.jpg"], length: 4_100_000 },
    { path: ["notes.txt"], length: 12_000 },
  ]);
  const others = [
    makeTorrent("debian-13.2.0-amd64-netinst.iso", [
      { path: ["debian-13.2.0-amd64-netinst.iso"], length: 754_974_720 },
    ]),
    makeTorrent("eBook.txt", [{ path: ["eBook.txt"], length: 3_359_647 }]),
    makeTorrent("Big Buck Bunny (1080p).mp4", [
      { path: ["Big Buck Bunny (1080p).mp4"], length: 276_134_947 },
    ]),
  ];
  await publishTorrent(base, others[0], { peerName: "mirror" });
  await publishTorrent(base, others[1], { peerName: "client2" });
  await publishTorrent(base, album, { peerName: "client1" });
  await publishTorrent(base, others[2]);
  const albumHex = hashOf(album);

  // Peer i joins at step 2i, leeches for 10 steps, seeds, and leaves 30 steps after joining.
  for (let step = 0; step < STEPS; step++) {
    clock += STEP_MS;
    for (let peer = 1; peer <= 30; peer++) {
      const age = step - 2 * peer;
      if (age < 0) continue;
      const name = peer % 3 === 0 ? undefined : `client${peer}`;
      if (age >= 30 && peer % 4 !== 0) {
        if (age === 30) await announcePeer(base, albumHex, peer, { left: 0, event: "stopped" });
        continue;
      }
      const event = age === 10 ? "completed" : undefined;
      await announcePeer(base, albumHex, peer, { left: age < 10 ? 1000 : 0, name, event });
    }
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
  for (const [i, bytes] of others.entries()) {
    for (let peer = 100; peer < 100 + 3 * (i + 1); peer++) {
      await announcePeer(base, hashOf(bytes), peer, { left: peer % 2 ? 0 : 1000 });
    }
  }

  const udp = await UdpPeer.open(tracker.udpAnnounceUrl!);
  try {
    for (let step = 0; step < RATE_STEPS; step++) {
      clock += 10_000;
      for (let i = 0; i < HTTP_PER_STEP; i++) {
        await announcePeer(base, hashOf(others[0]), 200 + (i % 50), { left: 1000 });
      }
      const connectionId = await udp.connect();
      for (let i = 0; i < UDP_PER_STEP; i++) {
        await udp.request(
          encodeAnnounceRequest(announceFields(connectionId, { infoHash: id(0x42) })),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RATE_TICK_MS));
    }
  } finally {
    udp.close();
  }

  await withBrowser(async (browser) => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 700 });
    const shots: [string, string][] = [
      ["tracker-catalog", "/"],
      ["tracker-torrent", `/torrent/${albumHex}`],
      ["tracker-publish", "/publish"],
      ["tracker-stats", "/stats"],
    ];
    for (const [name, path] of shots) {
      await page.goto(`${base}${path}`, { waitUntil: "networkidle0" });
      const file = `${DOCS}${name}.png` as `${string}.png`;
      await page.screenshot({ path: file, fullPage: path.startsWith("/torrent/") });
      console.error(`tracker_screenshots: wrote ${file}`);
    }
  });
});
