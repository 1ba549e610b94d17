import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { encode } from "../../src/bencode/mod.ts";
import { parseMagnet, parseMetainfo } from "../../src/metainfo/mod.ts";
import {
  Catalog,
  downloadCatalogTorrent,
  publishTorrent,
  searchCatalog,
  TrackerError,
} from "../../src/tracker/mod.ts";
import { V8_FLAGS } from "../../scripts/p2p_runtime.ts";
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
      assert.equal(hits[0].fileCount, 1);
      assert.equal(hits[0].publishedBy, "client2");
      assert.deepEqual([hits[0].seeders, hits[0].leechers], [0, 0]);
      const magnet = parseMagnet(hits[0].magnet);
      assert.equal(magnet.infoHash.hex, published.infoHash);
      assert.equal(magnet.name, "eBook.txt");
      assert.deepEqual(
        magnet.trackerTiers,
        [[`${base}/announce`]],
        "this tracker, not the torrent's",
      );
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

/**
 * A valid multi-file torrent of `count` one-byte files in `dir/`: about 45
 * bytes a file, and slow to parse (every path is checked), like a hostile
 * publish would be.
 */
function manyFilesTorrent(count: number, name = "many"): Uint8Array {
  const pieceLength = 16384;
  return encode({
    announce: "http://127.0.0.1:1/announce",
    info: {
      name,
      "piece length": pieceLength,
      pieces: new Uint8Array(Math.ceil(count / pieceLength) * 20),
      files: Array.from({ length: count }, (_, i) => ({
        length: 1,
        path: [`dir${i % 10}`, `file-${String(i).padStart(6, "0")}.txt`],
      })),
    },
  });
}

async function postTorrent(base: string, body: Uint8Array): Promise<Response> {
  return await fetch(`${base}/torrents`, { method: "POST", body: body as Uint8Array<ArrayBuffer> });
}

Deno.test("a publish over 4 MiB is refused by default; --max-torrent-size sets the limit", async () => {
  await withTracker({}, async ({ base }) => {
    const refused = await postTorrent(base, new Uint8Array(4 * 1024 * 1024 + 1));
    assert.equal(refused.status, 413);
    assert.match((await refused.json()).error, /larger than 4 MiB/);
  });
  const torrent = manyFilesTorrent(100);
  await withTracker({ maxTorrentBytes: torrent.length - 1 }, async ({ base }) => {
    await assert.rejects(
      () => publishTorrent(base, torrent),
      (error: unknown) => error instanceof TrackerError && /too large/.test(error.message),
    );
  });
  await withTracker({ maxTorrentBytes: torrent.length }, async ({ base }) => {
    assert.equal((await publishTorrent(base, torrent)).added, true);
  });
});

Deno.test("publishing bytes already published answers without parsing them again", async () => {
  const torrent = manyFilesTorrent(2_000);
  const { infoHash } = parseMetainfo(torrent);
  await withTracker({}, async ({ base, catalog }) => {
    // The tracker parses a .torrent (in its worker) only to hand the summary to publish.
    let published = 0;
    const publish = catalog.publish.bind(catalog);
    catalog.publish = (...args) => {
      published++;
      return publish(...args);
    };
    assert.equal((await publishTorrent(base, torrent)).added, true);
    for (let i = 0; i < 3; i++) {
      const again = await publishTorrent(base, torrent);
      assert.deepEqual(again, { infoHash: infoHash.hex, name: "many", added: false });
    }
    assert.equal(published, 1, "the same bytes were recognised, not parsed again");
  });
});

Deno.test("search results carry a file count and only the first 10 files", async () => {
  await withTracker({}, async ({ base }) => {
    await publishTorrent(base, manyFilesTorrent(25, "twenty-five"));
    const [hit] = await searchCatalog(base, "twenty");
    assert.equal(hit.fileCount, 25);
    assert.equal(hit.totalLength, 25);
    assert.deepEqual(hit.files.slice(0, 2), [
      { path: "twenty-five/dir0/file-000000.txt", length: 1 },
      { path: "twenty-five/dir1/file-000001.txt", length: 1 },
    ]);
    assert.equal(hit.files.length, 10);
  });
});

Deno.test("a catalog written before file counts and body hashes opens, lists and deduplicates", async () => {
  await withTempDir(async (dir) => {
    const torrent = manyFilesTorrent(12, "old");
    const { infoHash } = parseMetainfo(torrent);
    const files = Array.from({ length: 12 }, (_, i) => ({
      path: `old/dir${i % 10}/file-${String(i).padStart(6, "0")}.txt`,
      length: 1,
    }));
    // The schema as it was: no file_count, first_files or body_sha256.
    const db = new DatabaseSync(join(dir, "catalog.sqlite"));
    db.exec(`CREATE TABLE torrents (
      info_hash TEXT PRIMARY KEY, name TEXT NOT NULL, total_length INTEGER NOT NULL,
      files TEXT NOT NULL, published_at INTEGER NOT NULL, published_by TEXT,
      metainfo BLOB NOT NULL)`);
    db.prepare("INSERT INTO torrents VALUES (?, ?, ?, ?, ?, ?, ?)").run(
      infoHash.hex,
      "old",
      12,
      JSON.stringify(files),
      1,
      "client1",
      torrent,
    );
    db.close();

    const catalog = await Catalog.open(dir);
    try {
      const [hit] = catalog.search("old");
      assert.equal(hit.fileCount, 12);
      assert.deepEqual(hit.files, files.slice(0, 10));
      // The migration hashed the old rows' bytes: the same bytes are known without a parse.
      assert.deepEqual(catalog.publishedAs(torrent), { infoHash: infoHash.hex, name: "old" });
      assert.equal(catalog.size, 1);
    } finally {
      catalog.close();
    }
  });
});

Deno.test("a burst of catalog queries leaves the tracker's memory where it was", async () => {
  // The child runs with p2p's own V8 flags, so that young garbage is not counted.
  // Each query once prepared its own SQLite statement, native memory that
  // V8 neither sees nor hurries to free: 100,000 page queries grew the
  // process by over 200 MB. Prepared once, they grow it by about 20 MB,
  // where Deno's SQLite settles however many more queries come (measured
  // to 4,000,000).
  await withTempDir(async (dir) => {
    const torrent = join(dir, "eBook.txt.torrent");
    await Deno.writeFile(torrent, await makeTorrent(dir, "eBook.txt", 50_000));
    const churn = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        V8_FLAGS,
        new URL("./catalog_churn.ts", import.meta.url).pathname,
        join(dir, "catalog"),
        torrent,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.ok(churn.success, decoder.decode(churn.stderr));
    const grewBy = Number(decoder.decode(churn.stdout).trim());
    assert.ok(grewBy < 64 * 2 ** 20, `RSS grew by ${(grewBy / 2 ** 20).toFixed(1)} MiB`);
  });
});
