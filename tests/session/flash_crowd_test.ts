import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";
import { spawnP2p } from "../process_helpers.ts";
import { assertSameTree, type GetSummary, startSwarm } from "./swarm_helpers.ts";

Deno.test("flash crowd: ten gets on one seed all finish, mostly fed by each other", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "data.bin",
      layout: { "data.bin": 4_000_000 },
      pieceLength: "64K",
      seeds: 1,
      // The seed alone would need 40 s for ten copies at 1 MiB/s.
      seedArgs: ["--max-upload-rate", "1M"],
    });
    try {
      const [, seedPort] = await swarm.seeds[0].waitForLine(/on port (\d+)$/);
      const gets = Array.from(
        { length: 10 },
        (_, i) =>
          spawnP2p(
            dir,
            "get",
            swarm.torrentPath,
            "-d",
            join(dir, `leech${i}`),
            "--json",
            "--timeout",
            "60",
          ),
      );
      const statuses = await Promise.all(gets.map((get) => get.child.status));
      await Promise.all(gets.map((get) => get.stop()));
      let fromSeed = 0;
      let total = 0;
      for (const [i, get] of gets.entries()) {
        assert.equal(statuses[i].code, 0, get.stderr());
        await assertSameTree(swarm.dataPath, join(dir, `leech${i}`, "data.bin"));
        const summary: GetSummary = JSON.parse(
          get.stdoutLines().find((line) => line.startsWith("{"))!,
        );
        for (const [address, bytes] of Object.entries(summary.peers)) {
          total += bytes;
          if (address === `127.0.0.1:${seedPort}`) fromSeed += bytes;
        }
      }
      assert.ok(total >= 10 * 4_000_000 - 10);
      assert.ok(fromSeed < total / 2, `${fromSeed} of ${total} bytes came from the seed`);
    } finally {
      await swarm.stop();
    }
  });
});
