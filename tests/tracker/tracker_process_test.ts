import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import type { BencodeDict } from "../../src/bencode/mod.ts";
import {
  decodeSwarmFile,
  downloadCatalogTorrent,
  parseCompactPeers,
  publishTorrent,
  searchCatalog,
  SWARM_FILE_NAME,
} from "../../src/tracker/mod.ts";
import { runP2p, testBytes, withTempDir } from "../helpers.ts";
import { spawnP2p, spawnTracker } from "../process_helpers.ts";
import { announceQuery, getBencoded, id } from "./tracker_helpers.ts";

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

/** Announces peer `n` (port 7000 + n) to the tracker; returns the answer. */
function announcePeer(announceUrl: string, n: number, left: number): Promise<BencodeDict> {
  return getBencoded(`${announceUrl}?${announceQuery({ peer_id: id(n), port: 7000 + n, left })}`);
}

/** Resolves once the swarm file in `data` holds `peers` peers (a save has happened). */
async function savedWith(data: string, peers: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const bytes = await Deno.readFile(join(data, SWARM_FILE_NAME)).catch(() => null);
    const swarms = bytes ? decodeSwarmFile(bytes).swarms : [];
    if (swarms.reduce((sum, swarm) => sum + swarm.ipv4.secondsLeft.length, 0) === peers) return;
    if (Date.now() > deadline) throw new Error(`no save with ${peers} peers within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("seeders survive a restart: SIGTERM saves them, and so does a SIGKILL after a save", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "tracker-data");
    const first = await spawnTracker(dir, data, "--save-interval", "1");
    try {
      for (const n of [1, 2, 3]) await announcePeer(first.announceUrl, n, 0);
    } finally {
      assert.equal((await first.tracker.stop("SIGTERM")).code, 0);
    }

    const second = await spawnTracker(dir, data, "--save-interval", "1");
    try {
      // The first answer after the restart already has the seeders.
      const answer = await announcePeer(second.announceUrl, 9, 1000);
      assert.equal(answer.get("complete"), 3);
      const ports = parseCompactPeers(answer.get("peers") as Uint8Array, 6)!.map((p) => p.port);
      assert.deepEqual(ports.sort(), [7001, 7002, 7003]);
      assert.match(second.tracker.stderr(), /restored 1 swarms with 3 peers from /);
      await announcePeer(second.announceUrl, 4, 0);
      await savedWith(data, 5);
    } finally {
      assert.equal((await second.tracker.stop("SIGKILL")).signal, "SIGKILL");
    }

    const third = await spawnTracker(dir, data);
    try {
      const scrapeUrl = third.announceUrl.replace(/announce$/, "scrape");
      const files = (await getBencoded(`${scrapeUrl}?info_hash=${"%AA".repeat(20)}`))
        .get("files") as BencodeDict;
      const counts = files.get("\xaa".repeat(20)) as BencodeDict;
      assert.deepEqual([counts.get("complete"), counts.get("incomplete")], [4, 1]);
    } finally {
      await third.tracker.stop();
    }
  });
});
