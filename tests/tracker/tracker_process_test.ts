import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { downloadCatalogTorrent, publishTorrent, searchCatalog } from "../../src/tracker/mod.ts";
import { runP2p, testBytes, withTempDir } from "../helpers.ts";
import { spawnP2p, spawnTracker } from "../process_helpers.ts";

Deno.test("nothing published is lost when the tracker is killed with SIGKILL", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "eBook.txt"), testBytes(200_000));
    assert.equal((await runP2p(dir, "make-torrent", "eBook.txt", "-q")).code, 0);
    const bytes = await Deno.readFile(join(dir, "eBook.txt.torrent"));
    const data = join(dir, "tracker-data");

    const first = await spawnTracker(dir, data);
    try {
      await publishTorrent(first.announceUrl, bytes, { peerName: "client2" });
    } finally {
      const status = await first.tracker.stop("SIGKILL");
      assert.equal(status.signal, "SIGKILL");
    }

    const second = await spawnTracker(dir, data);
    try {
      const [hit] = await searchCatalog(second.announceUrl, "ebook");
      assert.equal(hit.infoHash, parseMetainfo(bytes).infoHash.hex);
      assert.equal(hit.publishedBy, "client2");
      assert.deepEqual(await downloadCatalogTorrent(second.announceUrl, hit.infoHash), bytes);
      assert.match(second.tracker.stderr(), /tracker ready: 1 published torrents/);
    } finally {
      const status = await second.tracker.stop("SIGTERM");
      assert.equal(status.code, 0, "SIGTERM is a clean stop");
      assert.match(second.tracker.stderr(), /stopped \(SIGTERM\)/);
    }
  });
});

Deno.test("p2p tracker reports a busy port in one line", async () => {
  await withTempDir(async (dir) => {
    const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "a"));
    try {
      const port = new URL(announceUrl).port;
      const second = spawnP2p(dir, "tracker", "-p", port, "-d", join(dir, "b"));
      const status = await second.child.status;
      await second.stop();
      assert.equal(status.code, 1);
      assert.match(
        second.stderr(),
        new RegExp(`^p2p: port ${port} on 127\\.0\\.0\\.1 is already in use\\n$`),
      );
    } finally {
      await tracker.stop();
    }
  });
});
