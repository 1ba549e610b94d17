import assert from "node:assert/strict";
import { join } from "node:path";
import { magnetOf, parseMetainfo } from "../../src/metainfo/mod.ts";
import { partsFileName } from "../../src/storage/mod.ts";
import { runP2p, withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { runGet, startSwarm } from "../session/swarm_helpers.ts";

const PIECE = 16 * 1024;
// Sorted as make-torrent lists them: a.bin [0, 40000), b.bin [40000, 90000),
// c.bin [90000, 120000), empty.txt. Pieces 2 and 5 straddle b.bin's ends.
const LAYOUT = { "a.bin": 40_000, "b.bin": 50_000, "c.bin": 30_000, "empty.txt": 0 };
const B_PIECES = [2, 3, 4, 5];

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("get --select of the middle file writes only it; a wider rerun fetches only the rest", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "album",
      layout: LAYOUT,
      pieceLength: "16K",
      seeds: 1,
    });
    try {
      const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
      const target = join(dir, "got");
      const first = await runGet(dir, swarm.torrentPath, target, "--select", "2");
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(names(join(target, "album")), ["b.bin"], "no byte of the others on disk");
      assert.deepEqual(
        await Deno.readFile(join(target, "album", "b.bin")),
        await Deno.readFile(join(swarm.dataPath, "b.bin")),
      );
      assert.deepEqual(names(target), [partsFileName(torrent), "album"].sort());
      assert.equal(first.summary!.downloaded, B_PIECES.length * PIECE, "b.bin's four pieces");

      const second = await runGet(dir, swarm.torrentPath, target, "--select", "*.bin");
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.summary!.alreadyPresent, B_PIECES.length * PIECE);
      assert.equal(second.summary!.downloaded, 120_000 - B_PIECES.length * PIECE, "only the rest");
      for (const name of ["a.bin", "b.bin", "c.bin"]) {
        assert.deepEqual(
          await Deno.readFile(join(target, "album", name)),
          await Deno.readFile(join(swarm.dataPath, name)),
          name,
        );
      }
      assert.deepEqual(names(join(target, "album")), ["a.bin", "b.bin", "c.bin"]);

      const all = await runGet(dir, swarm.torrentPath, target);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(all.summary!.downloaded, 0, "everything was here but the empty file");
      assert.deepEqual(names(target), ["album"], "all selected and whole: no parts file left");
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get --list prints the numbered files; bad selections fail in one line before any network", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "album",
      layout: LAYOUT,
      pieceLength: "16K",
      seeds: 1,
    });
    try {
      const listed = await runP2p(dir, "get", swarm.torrentPath, "--list");
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(listed.stdout.trimEnd().split("\n"), [
        "  1    39.1 KiB  album/a.bin",
        "  2    48.8 KiB  album/b.bin",
        "  3    29.3 KiB  album/c.bin",
        "  4         0 B  album/empty.txt",
      ]);
      const cases: [string, RegExp][] = [
        ["5", /^p2p: --select 5: the torrent has 4 files, numbered 1 to 4$/],
        ["", /^p2p: --select names no file$/],
        ["x/*", /^p2p: --select x\/\*: no file of the torrent matches$/],
      ];
      for (const [spec, expected] of cases) {
        const run = await runP2p(dir, "get", swarm.torrentPath, "-d", "bad", "--select", spec);
        assert.equal(run.code, 1, spec);
        assert.match(run.stderr.trim(), expected);
        assert.ok(
          !(await Deno.stat(join(dir, "bad")).then(() => true, () => false)),
          "nothing made",
        );
      }

      // A magnet link's so= (BEP 53, from 0) selects as --select does; --list waits for the metadata.
      const magnet = magnetOf(parseMetainfo(await Deno.readFile(swarm.torrentPath)));
      const byLink = await runGet(dir, `${magnet}&so=1`, join(dir, "so"));
      assert.equal(byLink.code, 0, byLink.stderr);
      assert.deepEqual(names(join(dir, "so", "album")), ["b.bin"]);
      const linkList = await runP2p(dir, "get", magnet, "--list", "-q");
      assert.equal(linkList.code, 0, linkList.stderr);
      assert.equal(linkList.stdout, listed.stdout);

      // A selection of only an empty file is whole at once: the file, and nothing else.
      const empty = await runGet(dir, swarm.torrentPath, join(dir, "empty"), "--select", "4");
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.summary!.downloaded, 0);
      assert.deepEqual(names(join(dir, "empty", "album")), ["empty.txt"]);
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("seed --partial of a selection serves its straddling pieces from the parts file", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "album",
      layout: LAYOUT,
      pieceLength: "16K",
      seeds: 1,
    });
    const first = join(dir, "first");
    const got = await runGet(dir, swarm.torrentPath, first, "--select", "2");
    assert.equal(got.code, 0, got.stderr);
    // The original seed leaves: the next download of b.bin has only the first to ask.
    await swarm.seeds[0].stop("SIGKILL");
    const partial = spawnP2p(
      dir,
      "seed",
      swarm.torrentPath,
      "-d",
      first,
      "-p",
      "0",
      "--partial",
      "-q",
    );
    try {
      await partial.waitForLine(/^seeding /);
      const second = await runGet(dir, swarm.torrentPath, join(dir, "second"), "--select", "2");
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.summary!.downloaded, B_PIECES.length * PIECE, "pieces 2 and 5 whole");
      assert.deepEqual(
        await Deno.readFile(join(dir, "second", "album", "b.bin")),
        await Deno.readFile(join(swarm.dataPath, "b.bin")),
      );
    } finally {
      await partial.stop();
      await swarm.stop();
    }
  });
});
