/**
 * Interop on the peer wire: aria2c and python3-libtorrent download from
 * `p2p seed`, and `p2p get` downloads from aria2c and libtorrent seeds, all
 * through `p2p tracker`, byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, withTempDir } from "../helpers.ts";
import {
  aria2cLeech,
  aria2cSeed,
  libtorrentPeer,
  run,
  spawn,
  SYSTEM_PYTHON,
} from "../real_clients.ts";
import { spawnP2p } from "../process_helpers.ts";
import { assertSameTree, runGet, startSwarm, waitForSeeders } from "../session/swarm_helpers.ts";

const LAYOUTS = {
  "single-file": { name: "movie.bin", layout: { "movie.bin": 6_000_000 } },
  "multi-file": {
    name: "album",
    layout: {
      "cd1/track1.bin": 2_500_000,
      "cd1/empty": 0,
      "cd2/track2.bin": 1_700_001,
      "cover.jpg": 55_555,
    },
  },
};

for (const [kind, { name, layout }] of Object.entries(LAYOUTS)) {
  Deno.test({
    name: `interop: aria2c and libtorrent download a ${kind} torrent from p2p seed`,
    ignore: !needsTools("aria2c", SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await startSwarm(dir, { name, layout, pieceLength: "256K", seeds: 1 });
        try {
          const aria = await run(aria2cLeech(swarm.torrentPath, join(dir, "aria2c")));
          assert.equal(aria.code, 0, new TextDecoder().decode(aria.stdout));
          await assertSameTree(swarm.dataPath, join(dir, "aria2c", name));

          const lt = await run(libtorrentPeer("leech", swarm.torrentPath, join(dir, "libtorrent")));
          assert.equal(lt.code, 0, new TextDecoder().decode(lt.stderr));
          await assertSameTree(swarm.dataPath, join(dir, "libtorrent", name));
        } finally {
          await swarm.stop();
        }
      });
    },
  });
}

for (const kind of ["aria2c", "libtorrent"] as const) {
  Deno.test({
    name: `interop: p2p get downloads a multi-file torrent from a ${kind} seed`,
    ignore: !needsTools("aria2c", SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const { name, layout } = LAYOUTS["multi-file"];
        const swarm = await startSwarm(dir, { name, layout, pieceLength: "64K", seeds: 0 });
        const dataDir = swarm.dataPath.slice(0, -name.length - 1);
        const seed = spawn(
          kind === "aria2c"
            ? aria2cSeed(swarm.torrentPath, dataDir)
            : libtorrentPeer("seed", swarm.torrentPath, dataDir),
        );
        try {
          await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 1);
          const { code, summary, stderr } = await runGet(
            dir,
            swarm.torrentPath,
            join(dir, "leech"),
          );
          assert.equal(code, 0, stderr);
          await assertSameTree(swarm.dataPath, join(dir, "leech", name));
          assert.equal(Object.keys(summary!.peers).length, 1);
        } finally {
          try {
            seed.kill("SIGKILL");
          } catch {
            // gone already
          }
          await seed.output().catch(() => {});
          await swarm.stop();
        }
      });
    },
  });
}

Deno.test("a p2p get keeps what it has when stopped with SIGINT", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 4_000_000 },
      pieceLength: "64K",
      seeds: 1,
      seedArgs: ["--max-upload-rate", "512K"],
    });
    try {
      const get = spawnP2p(dir, "get", swarm.torrentPath, "-d", join(dir, "leech"));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const status = await get.stop("SIGINT");
      assert.equal(status.code, 130, "128 + SIGINT, as shells expect");
      assert.match(
        get.stderr(),
        /kept \d+ of 62 verified pieces on disk; run again to resume\np2p: interrupted \(SIGINT\)\n$/,
      );
    } finally {
      await swarm.stop();
    }
  });
});
