import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";
import { runGet, startSwarm } from "./swarm_helpers.ts";

const RATE = 256 * 1024;
/** Five seconds' worth at the limit. */
const SIZE = 5 * RATE;

Deno.test("get --max-download-rate holds the limit over a real transfer from two seeds on loopback", async () => {
  await withTempDir(async (dir) => {
    const swarm = await startSwarm(dir, {
      name: "limited.bin",
      layout: { "limited.bin": SIZE },
      pieceLength: "32K",
      seeds: 2,
    });
    try {
      const got = await runGet(
        dir,
        swarm.torrentPath,
        join(dir, "leech"),
        "--max-download-rate",
        "256K",
      );
      assert.equal(got.code, 0, got.stderr);
      const { downloaded, seconds } = got.summary!;
      assert.equal(downloaded, SIZE);
      // The bucket holds a tenth of a second: no faster than 5 % over the limit. The seconds
      // include starting up and finding the seeds, so the band above is generous.
      const rate = downloaded / seconds;
      assert.ok(rate <= RATE * 1.05, `${(rate / 1024).toFixed(1)} KiB/s over ${seconds} s`);
      assert.ok(rate >= RATE * 0.6, `${(rate / 1024).toFixed(1)} KiB/s: far under the limit`);
    } finally {
      await swarm.stop();
    }
  });
});
