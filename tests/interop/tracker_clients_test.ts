/**
 * Interop of `p2p tracker` with real clients: aria2c and python3-libtorrent
 * find each other through it and complete a download; and our tracker
 * client announces to Debian's opentracker, over HTTP and UDP.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InfoHash, parseMetainfo } from "../../src/metainfo/mod.ts";
import { announce, scrape } from "../../src/tracker/mod.ts";
import { freePort, needsTools, runP2p, testBytes, withTempDir } from "../helpers.ts";
import {
  aria2cLeech,
  libtorrentPeer,
  run,
  spawn,
  startOpentracker,
  SYSTEM_PYTHON,
  waitForOutput,
} from "../real_clients.ts";
import { spawnP2p, spawnTracker } from "../process_helpers.ts";
import { runGet } from "../session/swarm_helpers.ts";

Deno.test({
  name: "interop: a libtorrent seed and an aria2c leech find each other through p2p tracker",
  ignore: !needsTools("aria2c", SYSTEM_PYTHON),
  async fn() {
    await withTempDir(async (dir) => {
      const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
      const seedDir = join(dir, "seed");
      const leechDir = join(dir, "leech");
      await Deno.mkdir(seedDir);
      await Deno.mkdir(leechDir);
      const data = testBytes(3_000_000, 42);
      await Deno.writeFile(join(seedDir, "payload.bin"), data);
      const made = await runP2p(
        seedDir,
        "make-torrent",
        "payload.bin",
        "-t",
        announceUrl,
        "-o",
        join(dir, "p.torrent"),
        "-q",
      );
      assert.equal(made.code, 0, made.stderr);
      const seed = spawn(libtorrentPeer("seed", join(dir, "p.torrent"), seedDir));
      try {
        await waitForOutput(seed, "seeding");
        const leech = await run(aria2cLeech(join(dir, "p.torrent"), leechDir));
        assert.equal(leech.code, 0, new TextDecoder().decode(leech.stdout));
        assert.deepEqual(await Deno.readFile(join(leechDir, "payload.bin")), data);
        const infoHash = parseMetainfo(await Deno.readFile(join(dir, "p.torrent"))).infoHash;
        const [counts] = (await scrape(announceUrl, [infoHash])).values();
        // aria2c with --seed-time=0 announces `stopped` (not `completed`) when done.
        assert.deepEqual(counts, { complete: 1, incomplete: 0, downloaded: 0 });
        assert.match(tracker.stderr(), /joined \[[0-9a-f]{8}\] as seeder/);
        assert.match(tracker.stderr(), /joined \[[0-9a-f]{8}\] as leecher/);
        assert.match(tracker.stderr(), /left \[[0-9a-f]{8}\]/);

        // A libtorrent leech reports `completed`, which scrape counts.
        const secondLeechDir = join(dir, "leech2");
        await Deno.mkdir(secondLeechDir);
        const ltLeech = await run(libtorrentPeer("leech", join(dir, "p.torrent"), secondLeechDir));
        assert.equal(ltLeech.code, 0, new TextDecoder().decode(ltLeech.stderr));
        assert.deepEqual(await Deno.readFile(join(secondLeechDir, "payload.bin")), data);
        for (let attempt = 0; attempt < 50; attempt++) {
          const [after] = (await scrape(announceUrl, [infoHash])).values();
          if (after.downloaded === 1) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const [after] = (await scrape(announceUrl, [infoHash])).values();
        assert.equal(after.downloaded, 1);
      } finally {
        try {
          seed.kill("SIGKILL");
        } catch {
          // already gone
        }
        await seed.output().catch(() => {});
        await tracker.stop();
      }
    });
  },
});

Deno.test({
  name: "interop: our tracker client announces to and scrapes opentracker",
  ignore: !needsTools("opentracker"),
  async fn() {
    await withTempDir(async (dir) => {
      const infoHash = InfoHash.fromBytes(new Uint8Array(20).map((_, i) => i + 1));
      const hex = infoHash.hex;
      const port = freePort();
      const opentracker = await startOpentracker(dir, port, [hex]);
      try {
        const url = `http://127.0.0.1:${port}/announce`;
        const base = { infoHash, uploaded: 0, downloaded: 0, left: 100, event: "started" as const };
        let first;
        for (let attempt = 0;; attempt++) {
          try {
            first = await announce(
              url,
              { ...base, peerId: new Uint8Array(20).fill(1), port: 7001 },
              { retries: 0 },
            );
            break;
          } catch (error) {
            if (attempt > 40) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        assert.ok(first.interval > 0);
        const second = await announce(url, {
          ...base,
          peerId: new Uint8Array(20).fill(2),
          port: 7002,
        });
        // opentracker, unlike p2p tracker, may hand a peer its own address back.
        assert.ok(second.peers.some((p) => `${p.ip}:${p.port}` === "127.0.0.1:7001"));
        const counts = await scrape(url, [infoHash]);
        assert.equal(counts.get(hex)?.incomplete, 2);
        await assert.rejects(
          () =>
            announce(url, {
              ...base,
              infoHash: InfoHash.fromBytes(new Uint8Array(20)),
              peerId: new Uint8Array(20).fill(3),
              port: 7003,
            }),
          /tracker refused/,
        );
      } finally {
        opentracker.kill("SIGTERM");
        await opentracker.status;
      }
    });
  },
});

Deno.test({
  name:
    "interop: p2p seed and get announce over UDP to opentracker; a dead UDP tier before a live one costs seconds",
  ignore: !needsTools("opentracker"),
  async fn() {
    await withTempDir(async (dir) => {
      const data = testBytes(1_500_000, 8);
      await Deno.writeFile(join(dir, "payload.bin"), data);
      const port = freePort();
      const live = `udp://127.0.0.1:${port}/announce`;
      const dead = `udp://127.0.0.1:${freePort()}/announce`;
      const make = async (out: string, trackers: string[]) => {
        const made = await runP2p(
          dir,
          "make-torrent",
          "payload.bin",
          ...trackers.flatMap((url) => ["-t", url]),
          "-o",
          out,
          "-q",
        );
        assert.equal(made.code, 0, made.stderr);
        return parseMetainfo(await Deno.readFile(join(dir, out)));
      };
      const torrent = await make("live.torrent", [live]);
      // The same info dictionary, so the same swarm, with a dead UDP tracker in the first tier.
      await make("tiers.torrent", [dead, `http://127.0.0.1:${port}/announce`]);
      const opentracker = await startOpentracker(join(dir, "ot"), port, [torrent.infoHash.hex]);
      const seed = spawnP2p(dir, "seed", "live.torrent", "-d", dir, "-p", "0", "-v");
      try {
        await seed.waitForLine(/^seeding /);
        // The seed's first announce went over UDP once opentracker was up.
        for (let i = 0; i < 100; i++) {
          const counts = await scrape(live, [torrent.infoHash]).catch(() => undefined);
          if ((counts?.get(torrent.infoHash.hex)?.complete ?? 0) > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const viaUdp = await runGet(dir, join(dir, "live.torrent"), join(dir, "udp"));
        assert.equal(viaUdp.code, 0, viaUdp.stderr);
        assert.deepEqual(await Deno.readFile(join(dir, "udp", "payload.bin")), data);
        const started = performance.now();
        const tiered = await runGet(dir, join(dir, "tiers.torrent"), join(dir, "tiered"));
        const seconds = (performance.now() - started) / 1000;
        assert.equal(tiered.code, 0, tiered.stderr);
        assert.deepEqual(await Deno.readFile(join(dir, "tiered", "payload.bin")), data);
        assert.ok(seconds < 15, `${seconds.toFixed(1)} s past a dead UDP tracker`);
      } finally {
        await seed.stop();
        opentracker.kill("SIGTERM");
        await opentracker.status;
      }
    });
  },
});
