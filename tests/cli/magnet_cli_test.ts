/** `p2p info MAGNET` and `p2p get MAGNET` end to end against a `p2p seed`, and bad magnet links. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { magnetOf, parseMagnet, parseMetainfo } from "../../src/metainfo/mod.ts";
import { runP2p, withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { runGet, startSwarm } from "../session/swarm_helpers.ts";

/** A tracker, a 700 kB torrent and one p2p seed of it. */
function filmSwarm(dir: string) {
  return startSwarm(dir, {
    name: "film.bin",
    layout: { "film.bin": 700_000 },
    pieceLength: "16K",
    seeds: 1,
  });
}

Deno.test("info MAGNET fetches the metadata from peers, prints the torrent and saves its .torrent", async () => {
  await withTempDir(async (dir) => {
    const swarm = await filmSwarm(dir);
    try {
      const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
      const magnet = magnetOf(torrent);
      const saved = join(dir, "saved.torrent");
      const shown = await runP2p(dir, "info", magnet, "--json", "--save-torrent", saved);
      assert.equal(shown.code, 0, shown.stderr);
      const json = JSON.parse(shown.stdout);
      assert.equal(json.infoHash, torrent.infoHash.hex);
      assert.equal(json.pieceCount, torrent.pieceCount);
      assert.deepEqual(json.trackers, [[swarm.announceUrl]]);
      assert.equal(parseMagnet(json.magnet).infoHash.hex, torrent.infoHash.hex);
      assert.deepEqual(parseMetainfo(await Deno.readFile(saved)).infoBytes, torrent.infoBytes);
      const text = await runP2p(dir, "info", torrent.infoHash.hex.toUpperCase(), "--timeout", "1");
      assert.equal(text.code, 1, "a bare info hash names no tracker and no peer");
      assert.match(text.stderr, /^Fetching the metadata of [0-9a-f]{40} from peers\n/);
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get MAGNET from a p2p seed, and bad magnet links each get one line", async () => {
  await withTempDir(async (dir) => {
    const swarm = await filmSwarm(dir);
    try {
      const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
      const got = await runGet(dir, magnetOf(torrent), join(dir, "got"));
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(
        await Deno.readFile(join(dir, "got", "film.bin")),
        await Deno.readFile(swarm.dataPath),
      );
      assert.ok(got.summary!.metadataSeconds! >= 0);
      const cases: [string[], RegExp][] = [
        [["get", "magnet:?xt=urn:btih:xyz"], /^p2p: an info hash is 40 hex digits/],
        [["get", "magnet:?dn=nothing"], /^p2p: .*xt/],
        [["get", `${magnetOf(torrent)}&so=0-1`], /^p2p: so in the magnet link selects file 1,/],
        [["get", swarm.torrentPath, "--save-torrent", "x.torrent"], /--save-torrent is for magnet/],
      ];
      for (const [args, expected] of cases) {
        const run = await runP2p(dir, ...args);
        assert.equal(run.code, 1, args.join(" "));
        assert.match(run.stderr.trim().split("\n").at(-1)!, expected);
        assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      }
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get interrupted by Ctrl-C (SIGINT) says so and exits 130, as shells expect", async () => {
  await withTempDir(async (dir) => {
    const get = spawnP2p(
      dir,
      "get",
      `magnet:?xt=urn:btih:${"ab".repeat(20)}&x.pe=127.0.0.1:1`,
      "-d",
      "out",
      "-q",
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    get.child.kill("SIGINT");
    const { code } = await get.child.status;
    await get.stop();
    assert.equal(code, 130);
    assert.match(get.stderr(), /^p2p: interrupted \(SIGINT\)\n$/m);
  });
});

Deno.test("a second get of the same torrent into the same directory is refused, naming the first; a killed one's lock is taken over", async () => {
  await withTempDir(async (dir) => {
    const magnet = `magnet:?xt=urn:btih:${"cd".repeat(20)}&dn=x.bin&x.pe=127.0.0.1:1`;
    const first = spawnP2p(dir, "get", magnet, "-d", "out", "--timeout", "30", "-q");
    try {
      const lock = join(dir, "out", `.p2p-${"cd".repeat(20)}.lock`);
      for (let i = 0; i < 100 && !(await Deno.stat(lock).then(() => true, () => false)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const second = await runP2p(dir, "get", magnet, "-d", "out", "--timeout", "2", "-q");
      assert.equal(second.code, 1);
      assert.equal(
        second.stderr,
        `p2p: x.bin is already being downloaded into ${
          join(dir, "out")
        } by another p2p (process ${first.child.pid})\n`,
      );
      // Another directory is another download.
      const elsewhere = await runP2p(dir, "get", magnet, "-d", "other", "--timeout", "1", "-q");
      assert.doesNotMatch(elsewhere.stderr, /already being downloaded/);
      await first.stop("SIGKILL");
      // Its lock stays behind; the next get sees the process is gone and goes ahead.
      assert.ok(await Deno.stat(lock).then(() => true, () => false));
      const third = await runP2p(dir, "get", magnet, "-d", "out", "--timeout", "1", "-q");
      assert.doesNotMatch(third.stderr, /already being downloaded/);
      assert.equal(third.stderr, "p2p: no peers after 1 s\n");
      assert.equal(await Deno.stat(lock).then(() => true, () => false), false, "released");
    } finally {
      await first.stop("SIGKILL");
    }
  });
});
