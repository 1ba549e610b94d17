/**
 * `p2p seed` and `p2p get` behaviour seen from outside: refusing incomplete
 * data, several torrents on one port, `stopped` on SIGTERM, a tracker that
 * is down, a catalog URL as the source, and `get --seed`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { publishTorrent, scrape } from "../../src/tracker/mod.ts";
import { runP2p, withTempDir } from "../helpers.ts";
import { spawnP2p, spawnTracker } from "../process_helpers.ts";
import {
  assertSameTree,
  runGet,
  startSwarm,
  waitForSeeders,
  writeLayout,
} from "./swarm_helpers.ts";

Deno.test("seed refuses incomplete data unless --partial, then serves what it has", async () => {
  await withTempDir(async (dir) => {
    await writeLayout(join(dir, "data"), { "data.bin": 200_000 });
    assert.equal((await runP2p(dir, "make-torrent", "data/data.bin", "-l", "16K", "-q")).code, 0);
    const file = await Deno.open(join(dir, "data", "data.bin"), { write: true });
    await file.truncate(100_000);
    file.close();
    const refused = spawnP2p(dir, "seed", "data.bin.torrent", "-d", "data", "-p", "0", "-q");
    assert.equal((await refused.child.status).code, 1);
    await refused.stop();
    assert.equal(
      refused.stderr(),
      "p2p: data.bin: 7 of 13 pieces are missing or corrupt in data (use --partial to serve the rest)\n",
    );
    const partial = spawnP2p(dir, "seed", "data.bin.torrent", "-d", "data", "-p", "0", "--partial");
    try {
      await partial.waitForLine(/^seeding data\.bin \([0-9a-f]{40}\) on port \d+$/);
      assert.match(partial.stderr(), /data\.bin: serving 6 of 13 pieces/);
    } finally {
      await partial.stop();
    }
  });
});

Deno.test("seed keeps what its check found in the data directory: unchanged files are not checked again, changed ones are", async () => {
  await withTempDir(async (dir) => {
    await writeLayout(join(dir, "data"), { "data.bin": 200_000 });
    assert.equal((await runP2p(dir, "make-torrent", "data/data.bin", "-l", "16K", "-q")).code, 0);
    const seed = async () => {
      const args = ["data.bin.torrent", "-d", "data", "-p", "0", "-q", "--data-dir", "state"];
      const process = spawnP2p(dir, "seed", ...args);
      const ended = await Promise.race([
        process.waitForLine(/^seeding data\.bin/).then(() => false),
        process.child.status.then(() => true),
      ]);
      await process.stop();
      return ended ? process.stderr().trim() : "seeding";
    };
    assert.equal(await seed(), "seeding");
    const { infoHash } = parseMetainfo(await Deno.readFile(join(dir, "data.bin.torrent")));
    await Deno.stat(join(dir, "state", "resume", `${infoHash.hex}.json`));
    // Other bytes under the same size and time: trusted as checked, so no check reads them.
    const path = join(dir, "data", "data.bin");
    const stat = await Deno.stat(path);
    await Deno.writeFile(path, new Uint8Array(200_000));
    await Deno.utime(path, stat.atime!, stat.mtime!);
    assert.equal(await seed(), "seeding");
    // The same bytes with another time: checked, and found wanting.
    await Deno.utime(path, stat.atime!, new Date(stat.mtime!.getTime() + 2_000));
    assert.match(await seed(), /13 of 13 pieces are missing or corrupt/);
  });
});

Deno.test("one seed process serves two torrents on one port, and says stopped on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
    try {
      await writeLayout(join(dir, "data"), { "one.bin": 300_000, "two.bin": 400_000 });
      for (const name of ["one.bin", "two.bin"]) {
        const made = await runP2p(dir, "make-torrent", `data/${name}`, "-t", announceUrl, "-q");
        assert.equal(made.code, 0, made.stderr);
      }
      const seed = spawnP2p(
        dir,
        "seed",
        "one.bin.torrent",
        "two.bin.torrent",
        "-d",
        "data",
        "-p",
        "0",
        "-q",
      );
      const [, portOne] = await seed.waitForLine(/^seeding one\.bin .* on port (\d+)$/);
      const [, portTwo] = await seed.waitForLine(/^seeding two\.bin .* on port (\d+)$/);
      assert.equal(portOne, portTwo);
      for (const name of ["one.bin", "two.bin"]) {
        await waitForSeeders(announceUrl, join(dir, `${name}.torrent`), 1);
        const { code, stderr } = await runGet(
          dir,
          join(dir, `${name}.torrent`),
          join(dir, "leech"),
        );
        assert.equal(code, 0, stderr);
        await assertSameTree(join(dir, "data", name), join(dir, "leech", name));
      }
      const status = await seed.stop("SIGTERM");
      assert.equal(status.code, 0);
      const one = parseMetainfo(await Deno.readFile(join(dir, "one.bin.torrent")));
      const counts = (await scrape(announceUrl, [one.infoHash])).get(one.infoHash.hex);
      assert.equal(counts?.complete, 0, "the seed announced stopped on its way out");
      assert.match(tracker.stderr(), / left \[[0-9a-f]{8}\]/);
    } finally {
      await tracker.stop();
    }
  });
});

Deno.test("a seed whose tracker is down keeps retrying and announces once it is back", async () => {
  await withTempDir(async (dir) => {
    const first = await spawnTracker(dir, join(dir, "tracker"));
    const port = new URL(first.announceUrl).port;
    await first.tracker.stop();
    await writeLayout(join(dir, "data"), { "x.bin": 50_000 });
    assert.equal(
      (await runP2p(dir, "make-torrent", "data/x.bin", "-t", first.announceUrl, "-q")).code,
      0,
    );
    const seed = spawnP2p(dir, "seed", "x.bin.torrent", "-d", "data", "-p", "0");
    try {
      await seed.waitForLine(/^seeding x\.bin/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.match(seed.stderr(), /unreachable: connection refused .*; retrying in 5 s/);
      const again = spawnP2p(dir, "tracker", "-p", port, "-d", join(dir, "tracker"));
      try {
        await again.waitForLine(/^listening on/);
        await waitForSeeders(first.announceUrl, join(dir, "x.bin.torrent"), 1);
      } finally {
        await again.stop();
      }
    } finally {
      await seed.stop();
    }
  });
});

Deno.test("get takes a catalog URL, and get --seed serves the next downloader", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "pub.bin",
      layout: { "pub.bin": 600_000 },
      pieceLength: "32K",
      seeds: 1,
    });
    try {
      const bytes = await Deno.readFile(swarm.torrentPath);
      const { infoHash } = await publishTorrent(swarm.announceUrl, bytes);
      const url = swarm.announceUrl.replace(/announce$/, `torrents/${infoHash}.torrent`);
      const seeder = spawnP2p(
        dir,
        "get",
        url,
        "-d",
        join(dir, "first"),
        "--seed",
        "-q",
        "--name",
        "first",
      );
      try {
        await seeder.waitForLine(/first\/pub\.bin$/);
        await assertSameTree(swarm.dataPath, join(dir, "first", "pub.bin"));
        await swarm.seeds[0].stop("SIGKILL");
        await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 1);
        const second = await runGet(dir, url, join(dir, "second"));
        assert.equal(second.code, 0, second.stderr);
        await assertSameTree(swarm.dataPath, join(dir, "second", "pub.bin"));
      } finally {
        await seeder.stop();
      }
      const missing = await runGet(
        dir,
        swarm.announceUrl.replace(/announce$/, `torrents/${"0".repeat(40)}.torrent`),
        join(dir, "x"),
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^p2p: cannot fetch http:\/\/.*: HTTP 404\n$/);
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("p2p get prints progress lines when stderr is not a terminal", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "slow.bin",
      layout: { "slow.bin": 1_500_000 },
      pieceLength: "32K",
      seeds: 1,
      seedArgs: ["--max-upload-rate", "100K"],
    });
    try {
      const get = spawnP2p(dir, "get", swarm.torrentPath, "-d", join(dir, "leech"));
      try {
        await new Promise((resolve) => setTimeout(resolve, 10_800));
        assert.match(
          get.stderr(),
          /downloading \d+%: [\d.]+ [KM]iB of 1\.4 MiB, [\d.]+ [KM]iB\/s, ETA \d+ s, 1 peer\n/,
        );
      } finally {
        await get.stop();
      }
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("seed says a file is not there, before any recheck, instead of calling every piece corrupt", async () => {
  await withTempDir(async (dir) => {
    await writeLayout(join(dir, "data", "album"), { "a.bin": 50_000, "b.bin": 60_000 });
    assert.equal((await runP2p(dir, "make-torrent", "data/album", "-l", "16K", "-q")).code, 0);
    await writeLayout(join(dir, "data"), { "single.bin": 30_000 });
    assert.equal((await runP2p(dir, "make-torrent", "data/single.bin", "-l", "16K", "-q")).code, 0);
    const single = await runP2p(dir, "seed", "single.bin.torrent", "-d", ".", "-p", "0", "-q");
    assert.equal(single.code, 1);
    assert.equal(
      single.stderr,
      "p2p: single.bin: single.bin is not in . (the data must be below -d; --partial serves what is there)\n",
    );
    // A download's unfinished NAME.part is served with --partial.
    await Deno.rename(join(dir, "data", "single.bin"), join(dir, "data", "single.bin.part"));
    const partial = spawnP2p(
      dir,
      "seed",
      "single.bin.torrent",
      "-d",
      "data",
      "-p",
      "0",
      "--partial",
    );
    try {
      await partial.waitForLine(/^seeding single\.bin \([0-9a-f]{40}\) on port \d+$/);
    } finally {
      await partial.stop();
    }
    await Deno.remove(join(dir, "data", "album", "b.bin"));
    const album = await runP2p(dir, "seed", "album.torrent", "-d", "data", "-p", "0", "-q");
    assert.equal(album.code, 1);
    assert.equal(
      album.stderr,
      "p2p: album: 1 of 2 files is (album/b.bin) not in data (the data must be below -d; --partial serves what is there)\n",
    );
  });
});
