import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { StorageError, TorrentStorage } from "../../src/storage/mod.ts";
import { testBytes, torrentBytes, validTorrentFields, withTempDir } from "../helpers.ts";

/** The helpers' single-file torrent: `data.bin`, 40,000 bytes. */
function dataBinTorrent() {
  return parseMetainfo(torrentBytes(validTorrentFields().top));
}

async function assertRefused(directory: string, naming: string): Promise<void> {
  await assert.rejects(
    TorrentStorage.open(dataBinTorrent(), directory, "write"),
    (error: unknown) => error instanceof StorageError && error.message.includes(naming),
  );
}

Deno.test("storage refuses to write through a hard link to a file outside the download", async () => {
  await withTempDir(async (dir) => {
    const outside = join(dir, "outside.txt");
    const original = testBytes(100, 7);
    await Deno.writeFile(outside, original);
    const downloads = join(dir, "downloads");
    await Deno.mkdir(downloads);
    const target = join(downloads, "data.bin");
    await Deno.link(outside, target);

    await assertRefused(downloads, target);
    assert.deepEqual(await Deno.readFile(outside), original, "the outside file is untouched");
  });
});
