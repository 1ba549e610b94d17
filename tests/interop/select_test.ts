/**
 * Interop of file selection: aria2c and python3-libtorrent seeds, which know
 * nothing of our selection, serve a `p2p get --select` byte for byte, and a
 * wider rerun fetches the rest from them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo, pieceSize } from "../../src/metainfo/mod.ts";
import { needsTools, withTempDir } from "../helpers.ts";
import { aria2cSeed, libtorrentPeer, spawn, SYSTEM_PYTHON } from "../real_clients.ts";
import { assertSameTree, runGet, startSwarm, waitForSeeders } from "../session/swarm_helpers.ts";

const PIECE = 64 * 1024;
// In torrent order: cd1/empty, cd1/track1.bin, cd2/track2.bin, cover.jpg; track2 shares a
// piece with each neighbour.
const LAYOUT = {
  "cd1/track1.bin": 2_500_000,
  "cd1/empty": 0,
  "cd2/track2.bin": 1_700_001,
  "cover.jpg": 55_555,
};

for (const kind of ["aria2c", "libtorrent"] as const) {
  Deno.test({
    name: `interop: a ${kind} seed serves p2p get --select, then the rest`,
    ignore: !needsTools("aria2c", SYSTEM_PYTHON),
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await startSwarm(dir, {
          name: "album",
          layout: LAYOUT,
          pieceLength: "64K",
          seeds: 0,
        });
        const dataDir = swarm.dataPath.slice(0, -"album".length - 1);
        const seed = spawn(
          kind === "aria2c"
            ? aria2cSeed(swarm.torrentPath, dataDir)
            : libtorrentPeer("seed", swarm.torrentPath, dataDir),
        );
        try {
          await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 1);
          const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
          const track2 = torrent.files[2];
          assert.deepEqual(track2.path, ["cd2", "track2.bin"]);
          const first = Math.floor(track2.offset / PIECE);
          const last = Math.floor((track2.offset + track2.length - 1) / PIECE);
          let wanted = 0;
          for (let index = first; index <= last; index++) wanted += pieceSize(torrent, index);
          const leech = join(dir, "leech");

          const narrow = await runGet(dir, swarm.torrentPath, leech, "--select", "cd2/*");
          assert.equal(narrow.code, 0, narrow.stderr);
          assert.equal(narrow.summary!.downloaded, wanted, "the pieces of track2.bin only");
          assert.deepEqual([...Deno.readDirSync(join(leech, "album"))].map((e) => e.name), [
            "cd2",
          ]);
          await assertSameTree(join(swarm.dataPath, "cd2"), join(leech, "album", "cd2"));

          const wide = await runGet(dir, swarm.torrentPath, leech);
          assert.equal(wide.code, 0, wide.stderr);
          assert.equal(wide.summary!.downloaded, torrent.totalLength - wanted);
          await assertSameTree(swarm.dataPath, join(leech, "album"));
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
