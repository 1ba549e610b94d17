import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import {
  downloadCatalogTorrent,
  publishTorrent,
  searchCatalog,
  TrackerError,
} from "../../src/tracker/mod.ts";
import { runP2p, testBytes, withTempDir } from "../helpers.ts";
import { announceQuery, getBencoded, id, text, withTracker } from "./tracker_helpers.ts";

async function makeTorrent(dir: string, name: string, size: number): Promise<Uint8Array> {
  await Deno.writeFile(join(dir, name), testBytes(size, size));
  const made = await runP2p(
    dir,
    "make-torrent",
    name,
    "-q",
    "--no-date",
    "-t",
    "http://127.0.0.1:1/announce",
  );
  assert.equal(made.code, 0, made.stderr);
  return await Deno.readFile(join(dir, `${name}.torrent`));
}

Deno.test("publish, search and download the exact bytes from the catalog", async () => {
  await withTempDir(async (dir) => {
    const ebook = await makeTorrent(dir, "eBook.txt", 50_000);
    const other = await makeTorrent(dir, "holiday_100%.jpg", 20_000);
    await withTracker({}, async ({ base, logLines }) => {
      const published = await publishTorrent(base, ebook, { peerName: "client2" });
      assert.deepEqual(published, {
        infoHash: parseMetainfo(ebook).infoHash.hex,
        name: "eBook.txt",
        added: true,
      });
      assert.equal((await publishTorrent(`${base}/announce`, ebook)).added, false);
      await publishTorrent(base, other);
      assert.ok(
        logLines.some((line) =>
          line === "client2 published eBook.txt [" + published.infoHash.slice(0, 8) + "]"
        ),
      );

      const hits = await searchCatalog(base, "EBOOK");
      assert.equal(hits.length, 1);
      assert.equal(hits[0].name, "eBook.txt");
      assert.equal(hits[0].totalLength, 50_000);
      assert.deepEqual(hits[0].files, [{ path: "eBook.txt", length: 50_000 }]);
      assert.equal(hits[0].publishedBy, "client2");
      assert.deepEqual([hits[0].seeders, hits[0].leechers], [0, 0]);
      assert.equal((await searchCatalog(base, "")).length, 2);
      assert.equal((await searchCatalog(base, "100%")).length, 1, "% is literal");
      assert.equal((await searchCatalog(base, "_")).length, 1, "_ is literal");
      assert.equal((await searchCatalog(base, "nothing")).length, 0);

      await getBencoded(
        `${base}/announce?${
          announceQuery({ info_hash: parseMetainfo(ebook).infoHash.bytes, left: 0 })
        }`,
      );
      assert.equal((await searchCatalog(base, "ebook"))[0].seeders, 1);

      assert.deepEqual(await downloadCatalogTorrent(base, published.infoHash), ebook);
      await assert.rejects(
        () => downloadCatalogTorrent(base, "00".repeat(20)),
        (error: unknown) =>
          error instanceof TrackerError && /has no torrent 0000/.test(error.message),
      );
    });
  });
});

Deno.test("publishing garbage or an oversize body is refused with the reason", async () => {
  await withTracker({}, async ({ base }) => {
    await assert.rejects(
      () => publishTorrent(base, new TextEncoder().encode("not a torrent")),
      (error: unknown) =>
        error instanceof TrackerError &&
        /tracker refused: not a valid torrent: not a torrent/.test(error.message),
    );
    const response = await fetch(`${base}/torrents`, {
      method: "POST",
      body: new Uint8Array(17 * 1024 * 1024),
    });
    assert.equal(response.status, 413);
    await response.body?.cancel();
  });
});

Deno.test("--publish-token guards publishing; --closed serves only published torrents", async () => {
  await withTempDir(async (dir) => {
    const torrent = await makeTorrent(dir, "a.bin", 10_000);
    const infoHash = parseMetainfo(torrent).infoHash.bytes;
    await withTracker({ publishToken: "s3cret", closed: true }, async ({ base }) => {
      await assert.rejects(
        () => publishTorrent(base, torrent),
        (error: unknown) =>
          error instanceof TrackerError && /needs the tracker's token/.test(error.message),
      );
      await assert.rejects(() => publishTorrent(base, torrent, { token: "wrong" }), TrackerError);
      const refused = await getBencoded(
        `${base}/announce?${announceQuery({ info_hash: infoHash })}`,
      );
      assert.match(text(refused.get("failure reason")), /unknown torrent/);
      assert.equal((await publishTorrent(base, torrent, { token: "s3cret" })).added, true);
      const served = await getBencoded(
        `${base}/announce?${announceQuery({ info_hash: infoHash, peer_id: id(9) })}`,
      );
      assert.equal(served.get("incomplete"), 1);
    });
  });
});
