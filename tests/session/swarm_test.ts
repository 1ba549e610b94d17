/**
 * End-to-end downloads on loopback: `p2p tracker`, several `p2p seed`s and
 * `p2p get`, all real processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { freePort, withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { announceQuery } from "../tracker/tracker_helpers.ts";
import { assertSameTree, runGet, startSwarm } from "./swarm_helpers.ts";

Deno.test("get: a multi-file torrent from three seeds, with a 0-byte file and a short last piece", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "album",
      // 1,234,567 bytes in 32 KiB pieces: 38 pieces (not a multiple of 3), the last one short.
      layout: { "a/one.bin": 700_000, "empty.txt": 0, "b/two.bin": 534_567 },
      pieceLength: "32K",
      seeds: 3,
      // Slow enough (bursts of 256 KiB each) that all three seeds take part.
      seedArgs: ["--max-upload-rate", "256K"],
    });
    try {
      const { code, summary, stderr } = await runGet(dir, swarm.torrentPath, join(dir, "leech"));
      assert.equal(code, 0, stderr);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "album"));
      assert.equal(summary!.downloaded >= 1_234_567, true);
      const contributions = Object.values(summary!.peers);
      assert.equal(
        contributions.length,
        3,
        `every seed contributes: ${JSON.stringify(summary!.peers)}`,
      );
      assert.ok(contributions.every((bytes) => bytes > 0));
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: a single-file torrent from three seeds; a rerun finds it complete", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "eBook.txt",
      layout: { "eBook.txt": 3_359_647 },
      pieceLength: "512K",
      seeds: 3,
      // Slow enough that all three seeds unchoke us before the seven pieces are gone, even on
      // a loaded machine (at 512K one CI run in many had a seed join after the last piece).
      seedArgs: ["--max-upload-rate", "256K"],
    });
    try {
      const first = await runGet(dir, swarm.torrentPath, join(dir, "leech"));
      assert.equal(first.code, 0, first.stderr);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "eBook.txt"));
      assert.equal(Object.keys(first.summary!.peers).length, 3);
      const again = await runGet(dir, swarm.torrentPath, join(dir, "leech"));
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.summary!.alreadyPresent, 3_359_647);
      assert.equal(again.summary!.downloaded, 0);
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: 48 MB, three times the bytes that may wait to be hashed and written", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "big.bin",
      layout: { "big.bin": 48_000_000 },
      pieceLength: "1M",
      seeds: 1,
    });
    try {
      const { code, summary, stderr } = await runGet(dir, swarm.torrentPath, join(dir, "leech"));
      assert.equal(code, 0, stderr);
      assert.equal(summary!.downloaded, 48_000_000);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "big.bin"));
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: a seed killed mid-download; the others finish it", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 6_000_000 },
      pieceLength: "64K",
      seeds: 3,
      seedArgs: ["--max-upload-rate", "512K"],
    });
    try {
      const get = spawnP2p(dir, "get", swarm.torrentPath, "-d", join(dir, "leech"), "-v");
      let finished = false;
      get.child.status.then(() => (finished = true));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(finished, false, "the download was still running when the seed died");
      await swarm.seeds[0].stop("SIGKILL");
      const status = await get.child.status;
      await get.stop();
      assert.equal(status.code, 0, get.stderr());
      assert.match(get.stderr(), /disconnected: the peer closed the connection|connection reset/);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "data.bin"));
      assert.deepEqual(
        [...Deno.readDirSync(join(dir, "leech"))].map((entry) => entry.name),
        ["data.bin"],
        "complete: renamed, and the lock gone",
      );
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: killed with SIGKILL half-way, a rerun fetches only the rest", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 8_000_000 },
      pieceLength: "64K",
      seeds: 2,
      seedArgs: ["--max-upload-rate", "1M"],
    });
    try {
      const first = spawnP2p(dir, "get", swarm.torrentPath, "-d", join(dir, "leech"), "-q");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await first.stop("SIGKILL");
      // Unfinished, it is data.bin.part: nothing passes for the finished file.
      assert.deepEqual(
        [...Deno.readDirSync(join(dir, "leech"))].map((entry) => entry.name).filter((name) =>
          !name.startsWith(".p2p-")
        ),
        ["data.bin.part"],
      );
      const again = await runGet(dir, swarm.torrentPath, join(dir, "leech"));
      assert.equal(again.code, 0, again.stderr);
      const { alreadyPresent, downloaded, totalLength } = again.summary!;
      assert.ok(alreadyPresent > 0 && alreadyPresent < totalLength, `kept ${alreadyPresent} bytes`);
      // Only the rest is fetched (endgame may fetch a few blocks twice).
      assert.ok(
        downloaded <= totalLength - alreadyPresent + 4 * 65536,
        `fetched ${downloaded} with ${alreadyPresent} of ${totalLength} present`,
      );
      await assertSameTree(swarm.dataPath, join(dir, "leech", "data.bin"));
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: a corrupt torrent URL, a missing file and no peers give one clear line", async () => {
  await withTempDir(async (dir) => {
    const missing = spawnP2p(dir, "get", "nope.torrent");
    assert.equal((await missing.child.status).code, 1);
    await missing.stop();
    assert.equal(missing.stderr(), "p2p: no such file: nope.torrent\n");

    // A torrent URL whose server is down: the reason, not fetch's "fetch failed".
    const url = `http://127.0.0.1:${freePort()}/x.torrent`;
    const down = spawnP2p(dir, "get", url);
    assert.equal((await down.child.status).code, 1);
    await down.stop();
    assert.equal(down.stderr(), `p2p: cannot fetch ${url}: connection refused\n`);

    const swarm = await startSwarm(dir, {
      name: "x.bin",
      layout: { "x.bin": 100_000 },
      pieceLength: "16K",
      seeds: 0,
    });
    try {
      // -d naming a file, not a directory: said so, not mkdir's "File exists".
      await Deno.writeFile(join(dir, "a-file"), new Uint8Array(1));
      const notDirectory = spawnP2p(dir, "get", swarm.torrentPath, "-d", "a-file", "-q");
      assert.equal((await notDirectory.child.status).code, 1);
      await notDirectory.stop();
      assert.equal(notDirectory.stderr(), "p2p: a-file is not a directory\n");

      // A get that finds nobody to download from in 2 s: its exit code and what it said.
      const getAlone = async (...extra: string[]) => {
        const get = spawnP2p(
          dir,
          "get",
          swarm.torrentPath,
          "-d",
          join(dir, "leech"),
          "--timeout",
          "2",
          "-q",
          ...extra,
        );
        const { code } = await get.child.status;
        await get.stop();
        return { code, stderr: get.stderr() };
      };
      const lonely = await getAlone();
      assert.equal(lonely.code, 1);
      assert.match(lonely.stderr, /^p2p: no peers after 2 s\n/);

      // A "peer" that hangs up on every connection: the timeout says what happened with it.
      const hangUp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      (async () => {
        for await (const connection of hangUp) connection.close();
      })().catch(() => {});
      try {
        const torrent = parseMetainfo(await Deno.readFile(swarm.torrentPath));
        const query = announceQuery({
          info_hash: torrent.infoHash.bytes,
          port: hangUp.addr.port,
          left: 0,
          event: "started",
        });
        await fetch(`${swarm.announceUrl}?${query}`).then((response) => response.body?.cancel());
        const refused = await getAlone("--no-utp");
        assert.equal(refused.code, 1);
        assert.match(
          refused.stderr,
          new RegExp(
            `^p2p: no peers after 2 s \\(last: could not connect to 127\\.0\\.0\\.1:${hangUp.addr.port}: .+\\)\n`,
          ),
        );
      } finally {
        hangUp.close();
      }
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get: the tracker is down: a clear reason", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "x.bin",
      layout: { "x.bin": 100_000 },
      pieceLength: "16K",
      seeds: 0,
    });
    await swarm.stop();
    const get = spawnP2p(
      dir,
      "get",
      swarm.torrentPath,
      "-d",
      join(dir, "leech"),
      "--timeout",
      "2",
      "-q",
    );
    const status = await get.child.status;
    await get.stop();
    assert.equal(status.code, 1);
    assert.match(
      get.stderr(),
      /^p2p: tracker unreachable: tracker http:\/\/127\.0\.0\.1:\d+\/announce unreachable: connection refused/,
    );
    assert.equal(parseMetainfo(await Deno.readFile(swarm.torrentPath)).name, "x.bin");
  });
});

Deno.test("get --no-tcp: over uTP alone from a seed with uTP alone, and the seed's upload limit holds", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "limited.bin",
      layout: { "limited.bin": 1_572_864 },
      pieceLength: "32K",
      seeds: 1,
      seedArgs: ["--no-tcp", "--max-upload-rate", "256K"],
    });
    try {
      const started = performance.now();
      const { code, stderr } = await runGet(
        dir,
        swarm.torrentPath,
        join(dir, "leech"),
        "--no-tcp",
        "-v",
      );
      const seconds = (performance.now() - started) / 1000;
      assert.equal(code, 0, stderr);
      await assertSameTree(swarm.dataPath, join(dir, "leech", "limited.bin"));
      assert.match(stderr, /connected to, (plaintext|encrypted \(RC4\)) over uTP$/m);
      // 1.5 MiB at 256 KiB/s with a one-second burst: at least 5 s.
      assert.ok(seconds >= 4.5, `took ${seconds.toFixed(1)} s: the limit did not hold`);
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get off a terminal says every step, even when the download ends before the first status", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "tiny.bin",
      layout: { "tiny.bin": 20_000 },
      pieceLength: "16K",
      seeds: 1,
    });
    try {
      const get = spawnP2p(dir, "get", swarm.torrentPath, "-d", join(dir, "leech"));
      const { code } = await get.child.status;
      await get.stop();
      assert.equal(code, 0, get.stderr());
      assert.match(
        get.stderr(),
        /\[2\/4\] Connecting to peers[^\n]*\n(?:[^\n]*\n)*\[3\/4\] Download(?:ing|ed) from 1 peer\n(?:[^\n]*\n)*\[4\/4\] Verified all 2 pieces/,
      );
    } finally {
      await swarm.stop();
    }
  });
});
