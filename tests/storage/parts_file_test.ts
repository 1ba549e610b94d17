import assert from "node:assert/strict";
import { join } from "node:path";
import { partsFileName, StorageError, TorrentStorage } from "../../src/storage/mod.ts";
import { multiFileTorrent } from "../engine/engine_helpers.ts";
import { withTempDir } from "../helpers.ts";

const PIECE = 16384;
// a: [0, 40000), b: [40000, 90000), c: [90000, 120000); pieces 2 and 5 straddle b's ends.
const { metainfo: torrent, data } = multiFileTorrent(
  [["a.bin", 40_000], ["b.bin", 50_000], ["c.bin", 30_000]],
  PIECE,
);
const B_PIECES = [2, 3, 4, 5];

function piece(index: number): Uint8Array {
  return data.subarray(index * PIECE, (index + 1) * PIECE);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

function verifiedIndexes(verified: Uint8Array): number[] {
  return [...verified].flatMap((ok, index) => ok ? [index] : []);
}

Deno.test("storage with one file selected creates only it; straddling pieces go whole to the parts file", async () => {
  await withTempDir(async (dir) => {
    const album = join(dir, "album");
    const storage = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    assert.deepEqual(verifiedIndexes(await storage.recheck()), []);
    for (const index of B_PIECES) await storage.writePiece(index, piece(index));
    await storage.sync();
    assert.deepEqual([...Deno.readDirSync(album)].map((e) => e.name), ["b.bin.part"]);
    assert.deepEqual(
      await Deno.readFile(join(album, "b.bin.part")),
      data.subarray(40_000, 90_000),
    );
    const whole = new Uint8Array(PIECE);
    await storage.read(2 * PIECE, whole);
    assert.deepEqual(whole, piece(2), "bytes of a.bin come back from the parts file");
    await storage.complete();
    await storage.close();
    assert.ok(await exists(join(album, "b.bin")), "the selection is whole: b.bin takes its name");
    assert.ok(!(await exists(join(album, "a.bin"))) && !(await exists(join(album, "a.bin.part"))));
    assert.ok(await exists(join(dir, partsFileName(torrent))), "kept for a wider selection");

    const again = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    assert.deepEqual(verifiedIndexes(await again.recheck()), B_PIECES, "a rerun rechecks them all");
    await again.close();

    // Seeding what is there (seed --partial) serves the straddling pieces too.
    const seeding = await TorrentStorage.open(torrent, dir, "read");
    assert.deepEqual(verifiedIndexes(await seeding.recheck()), B_PIECES);
    await seeding.read(5 * PIECE, whole);
    assert.deepEqual(whole, piece(5));
    await seeding.close();
  });
});

Deno.test("a wider selection gets the straddling bytes from the parts file, which goes once all is whole", async () => {
  await withTempDir(async (dir) => {
    const album = join(dir, "album");
    const narrow = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    for (const index of B_PIECES) await narrow.writePiece(index, piece(index));
    await narrow.close();

    const wide = await TorrentStorage.open(torrent, dir, "write");
    assert.deepEqual(verifiedIndexes(await wide.recheck()), B_PIECES);
    assert.deepEqual(
      (await Deno.readFile(join(album, "a.bin.part"))).subarray(2 * PIECE),
      data.subarray(2 * PIECE, 40_000),
      "a.bin got its bytes of piece 2",
    );
    for (const index of [0, 1, 6, 7]) await wide.writePiece(index, piece(index));
    await wide.complete();
    await wide.close();
    for (
      const [name, start, end] of [["a.bin", 0, 40_000], ["b.bin", 40_000, 90_000], [
        "c.bin",
        90_000,
        120_000,
      ]] as const
    ) {
      assert.deepEqual(await Deno.readFile(join(album, name)), data.subarray(start, end), name);
    }
    assert.ok(!(await exists(join(dir, partsFileName(torrent)))), "the parts file is gone");
  });
});

Deno.test("a running selection widens: new files are created and filled from the parts file", async () => {
  await withTempDir(async (dir) => {
    const storage = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    for (const index of B_PIECES) await storage.writePiece(index, piece(index));
    await storage.select([false, true, true]);
    await storage.sync();
    assert.deepEqual(
      await Deno.readFile(join(dir, "album", "c.bin.part")),
      new Uint8Array([...data.subarray(90_000, 6 * PIECE), ...new Uint8Array(120_000 - 6 * PIECE)]),
    );
    await storage.close();
  });
});

Deno.test("a parts file cut short keeps its whole records; another torrent's is refused", async () => {
  await withTempDir(async (dir) => {
    const storage = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    for (const index of B_PIECES) await storage.writePiece(index, piece(index));
    await storage.close();
    const parts = join(dir, partsFileName(torrent));
    const size = (await Deno.stat(parts)).size;
    // A crash in the middle of appending the record of piece 5.
    await Deno.truncate(parts, size - 100);
    const reopened = await TorrentStorage.open(torrent, dir, "write", [false, true, false]);
    assert.deepEqual(verifiedIndexes(await reopened.recheck()), [2, 3, 4]);
    await reopened.close();
    assert.equal((await Deno.stat(parts)).size, size - 4 - PIECE, "the torn record is cut off");

    const foreign = new Uint8Array(200).fill(7);
    await Deno.writeFile(parts, foreign);
    await assert.rejects(
      TorrentStorage.open(torrent, dir, "write", [false, true, false]),
      (error: unknown) =>
        error instanceof StorageError && /is not p2p's partial-piece store/.test(error.message),
    );
    assert.deepEqual(await Deno.readFile(parts), foreign, "left as it was");
  });
});
