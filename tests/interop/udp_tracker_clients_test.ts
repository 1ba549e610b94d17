/**
 * Interop of `p2p tracker`'s UDP side (BEP 15) with real clients:
 * python3-libtorrent peers announce over UDP only, with the BEP 41 URLData
 * option libtorrent appends, and find each other; aria2c, given a magnet
 * link whose only tracker is ours over UDP, finds a libtorrent seed through
 * it and fetches the metadata and the data (aria2c speaks UDP to trackers
 * only through its DHT socket: its DHT is on for that, with no node to
 * start from).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { scrape } from "../../src/tracker/mod.ts";
import { needsTools, runP2p, testBytes, withTempDir } from "../helpers.ts";
import {
  aria2cLeech,
  libtorrentPeer,
  run,
  spawn,
  SYSTEM_PYTHON,
  waitForOutput,
} from "../real_clients.ts";
import { type P2pProcess, spawnTracker } from "../process_helpers.ts";

/** What a test gets from {@link withUdpSeed}. */
interface UdpSeed {
  readonly tracker: P2pProcess;
  /** The tracker's HTTP announce URL (its scrape reads the same registry). */
  readonly announceUrl: string;
  /** The .torrent, whose only tracker is ours over UDP, and its magnet link. */
  readonly torrent: string;
  readonly magnet: string;
  /** The seeded file's bytes (`payload.bin`). */
  readonly data: Uint8Array;
}

/**
 * Runs `test` with a `p2p tracker`, a torrent of 2 MB announcing to it over
 * UDP only, and a python3-libtorrent seed of it that has announced; stops
 * them afterwards.
 */
async function withUdpSeed(seed: number, test: (swarm: UdpSeed) => Promise<void>) {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
    try {
      const [, udpUrl] = await tracker.waitForLine(/^listening on (udp:\S+)$/);
      const seedDir = join(dir, "seed");
      await Deno.mkdir(seedDir);
      const data = testBytes(2_000_000, seed);
      await Deno.writeFile(join(seedDir, "payload.bin"), data);
      const torrent = join(dir, "p.torrent");
      const made = await runP2p(
        seedDir,
        "make-torrent",
        "payload.bin",
        "-t",
        udpUrl,
        "-o",
        torrent,
      );
      assert.equal(made.code, 0, made.stderr);
      const magnet = made.stdout.trim().split("\n").find((line) => line.startsWith("magnet:"))!;
      const child = spawn(libtorrentPeer("seed", torrent, seedDir));
      try {
        await waitForOutput(child, "announced");
        await test({ tracker, announceUrl, torrent, magnet, data });
        assert.doesNotMatch(tracker.stderr(), /internal error/);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch {
          // already exited
        }
        await child.status;
        await child.stderr.cancel();
      }
    } finally {
      await tracker.stop();
    }
  });
}

Deno.test({
  name:
    "interop: a libtorrent seed and a libtorrent leech find each other through p2p tracker over UDP",
  ignore: !needsTools(SYSTEM_PYTHON),
  fn: () =>
    withUdpSeed(15, async ({ tracker, announceUrl, torrent, data }) => {
      const leechDir = join(torrent, "..", "leech");
      await Deno.mkdir(leechDir);
      const leech = await run(libtorrentPeer("leech", torrent, leechDir));
      assert.equal(leech.code, 0, new TextDecoder().decode(leech.stderr));
      assert.deepEqual(await Deno.readFile(join(leechDir, "payload.bin")), data);
      assert.match(tracker.stderr(), /joined \[[0-9a-f]{8}\] as seeder/);
      assert.match(tracker.stderr(), /joined \[[0-9a-f]{8}\] as leecher/);
      // The leech's `completed` came over UDP; HTTP's scrape reads the same registry.
      const infoHash = parseMetainfo(await Deno.readFile(torrent)).infoHash;
      for (let attempt = 0; attempt < 50; attempt++) {
        const [counts] = (await scrape(announceUrl, [infoHash])).values();
        if (counts.downloaded === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const [counts] = (await scrape(announceUrl, [infoHash])).values();
      assert.equal(counts.downloaded, 1);
    }),
});

Deno.test({
  name:
    "interop: aria2c given a magnet link with only our UDP tracker fetches the metadata and the data from a libtorrent seed",
  ignore: !needsTools("aria2c", SYSTEM_PYTHON),
  fn: () =>
    withUdpSeed(16, async ({ tracker, torrent, magnet, data }) => {
      assert.doesNotMatch(magnet, /x\.pe=/, "the tracker is the only way to the seed");
      const leechDir = join(torrent, "..", "aria2c");
      const dhtFile = join(torrent, "..", "aria2c-dht.dat");
      const aria = await run(aria2cLeech(magnet, leechDir, { udpTrackersWithDhtFile: dhtFile }));
      assert.equal(aria.code, 0, new TextDecoder().decode(aria.stdout));
      assert.deepEqual(await Deno.readFile(join(leechDir, "payload.bin")), data);
      // While it fetches the metadata aria2c says left=0: filed as a seeder, it still got
      // the seeder (a seeder's answer leaves seeders out only when leechers fill it).
      const joins = tracker.stderr().match(/joined \[[0-9a-f]{8}\] as seeder/g) ?? [];
      assert.equal(joins.length, 2, tracker.stderr());
    }),
});
