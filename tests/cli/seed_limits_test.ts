import assert from "node:assert/strict";
import { join } from "node:path";
import { durationOption, ratioOption, seedLimitReached } from "../../src/cli/seed_limits.ts";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { scrape } from "../../src/tracker/mod.ts";
import { withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { runGet, startSwarm } from "../session/swarm_helpers.ts";

Deno.test("seed limits: durations, ratios and when each is reached", () => {
  const durations: [string, number][] = [["90s", 90], ["30m", 1800], ["2h", 7200], ["1.5", 90], [
    "0.5h",
    1800,
  ]];
  for (const [text, seconds] of durations) assert.equal(durationOption(text), seconds, text);
  for (const bad of ["", "m", "-5s", "1d", "1h30m", "ten"]) {
    assert.throws(() => durationOption(bad), /must be a duration/, bad);
  }
  assert.equal(ratioOption("1.5"), 1.5);
  for (const bad of ["", "-1", "x", "1e3", "Infinity"]) {
    assert.throws(() => ratioOption(bad), /must be a ratio/, bad);
  }
  const cases: [Parameters<typeof seedLimitReached>, RegExp | undefined][] = [
    [[{ seedRatio: 1 }, { uploaded: 99, size: 100, seededMs: 1e9 }], undefined],
    [[{ seedRatio: 1 }, { uploaded: 100, size: 100, seededMs: 0 }], /^seed ratio 1\.00 reached/],
    // aria2c's 0.0: no ratio limit.
    [[{ seedRatio: 0 }, { uploaded: 100, size: 100, seededMs: 0 }], undefined],
    [[{ seedRatio: 1 }, { uploaded: 100, size: 0, seededMs: 0 }], undefined],
    [[{ seedTime: 60 }, { uploaded: 0, size: 100, seededMs: 59_999 }], undefined],
    [[{ seedTime: 60 }, { uploaded: 0, size: 100, seededMs: 60_000 }], /^seed time 1 min reached/],
    [[{ seedRatio: 2, seedTime: 90 }, { uploaded: 10, size: 100, seededMs: 90_000 }], /90 s/],
    [[{}, { uploaded: 1e9, size: 1, seededMs: 1e9 }], undefined],
  ];
  for (const [args, expected] of cases) {
    const reason = seedLimitReached(...args);
    if (expected) assert.match(reason ?? "", expected, JSON.stringify(args));
    else assert.equal(reason, undefined, JSON.stringify(args));
  }
});

async function seeders(announceUrl: string, torrentPath: string): Promise<number> {
  const torrent = parseMetainfo(await Deno.readFile(torrentPath));
  return (await scrape(announceUrl, [torrent.infoHash])).get(torrent.infoHash.hex)?.complete ?? 0;
}

Deno.test("seed --seed-time stops on time, says why, exits 0 and announces stopped", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "timed.bin",
      layout: { "timed.bin": 100_000 },
      pieceLength: "16K",
      seeds: 1,
      seedArgs: ["--seed-time", "2s", "-v"],
    });
    try {
      const started = performance.now();
      const status = await swarm.seeds[0].child.status;
      const seconds = (performance.now() - started) / 1000;
      assert.equal(status.code, 0, swarm.seeds[0].stderr());
      assert.ok(seconds < 5, `stopped after ${seconds.toFixed(1)} s`);
      assert.match(swarm.seeds[0].stderr(), /^stopped \(seed time 2 s reached/m);
      assert.equal(await seeders(swarm.announceUrl, swarm.torrentPath), 0, "stopped announced");
    } finally {
      await swarm.stop();
    }
  });
});

Deno.test("get --seed-ratio seeds until it uploaded the data once, then exits 0 saying so", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "shared.bin",
      layout: { "shared.bin": 300_000 },
      pieceLength: "16K",
      seeds: 1,
    });
    const first = spawnP2p(
      dir,
      "get",
      swarm.torrentPath,
      "-d",
      join(dir, "first"),
      "--seed-ratio",
      "1",
    );
    try {
      await first.waitForLine(/shared\.bin$/);
      // The original seed leaves without a word: the next download is all from the first.
      await swarm.seeds[0].stop("SIGKILL");
      const second = await runGet(dir, swarm.torrentPath, join(dir, "second"));
      assert.equal(second.code, 0, second.stderr);
      const status = await first.child.status;
      assert.equal(status.code, 0, first.stderr());
      assert.match(first.stderr(), /^stopped seeding: seed ratio 1\.\d\d reached/m);
      assert.equal(await seeders(swarm.announceUrl, swarm.torrentPath), 1, "only the killed seed");
    } finally {
      await first.stop();
      await swarm.stop();
    }
  });
});
