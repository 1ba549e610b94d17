import assert from "node:assert/strict";
import { join } from "node:path";
import { createMetainfo } from "../../src/metainfo/mod.ts";
import { withTempDir } from "../helpers.ts";
import { spawnTracker } from "../process_helpers.ts";
import { announceQuery } from "./tracker_helpers.ts";

Deno.test("a publish of a torrent of 80,000 files does not hold up announces: it is parsed off the announce thread", async () => {
  await withTempDir(async (dir) => {
    const files = Array.from(
      { length: 80_000 },
      (_, i) => ({ path: [`dir${i % 100}`, `file-${i}.dat`], length: 1000 }),
    );
    const pieceLength = 1 << 20;
    const torrent = createMetainfo({
      name: "many",
      layout: { kind: "multi", files },
      pieceLength,
      pieceHashes: new Uint8Array(Math.ceil((files.length * 1000) / pieceLength) * 20),
    });
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
    try {
      const base = announceUrl.replace(/\/announce$/, "");
      const started = performance.now();
      const publishing = fetch(`${base}/torrents`, { method: "POST", body: torrent.slice() });
      let done = false;
      publishing.finally(() => (done = true));
      let slowest = 0;
      let announces = 0;
      while (!done) {
        const asked = performance.now();
        const answer = await fetch(`${announceUrl}?${announceQuery({ port: 6000 + announces })}`);
        await answer.arrayBuffer();
        slowest = Math.max(slowest, performance.now() - asked);
        announces++;
      }
      const response = await publishing;
      assert.equal(response.status, 201, await response.text());
      const publishMs = performance.now() - started;
      assert.ok(
        announces >= 3,
        `${announces} announces while publishing (${publishMs.toFixed(0)} ms)`,
      );
      assert.ok(
        slowest < publishMs / 2,
        `the slowest announce took ${slowest.toFixed(0)} ms of the publish's ${
          publishMs.toFixed(0)
        } ms`,
      );
    } finally {
      await tracker.stop();
    }
  });
});
