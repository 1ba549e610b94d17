import assert from "node:assert/strict";
import { join } from "node:path";
import { openFiles } from "../../src/client/mod.ts";
import { dataStamps, partsFileName, sameStamps } from "../../src/storage/mod.ts";
import { testTorrent } from "../engine/engine_helpers.ts";
import { withTempDir } from "../helpers.ts";

Deno.test("data stamps: a file's final or .part path and the parts file, whichever exist", async () => {
  await withTempDir(async (dir) => {
    const { metainfo } = testTorrent(40_000, 16_384);
    assert.deepEqual(await dataStamps(metainfo, dir), []);
    await Deno.writeFile(join(dir, "data.bin.part"), new Uint8Array(10));
    await Deno.writeFile(join(dir, partsFileName(metainfo)), new Uint8Array(3));
    const stamps = await dataStamps(metainfo, dir);
    assert.deepEqual(stamps.map(({ path, size }) => [path, size]), [
      [join(dir, "data.bin.part"), 10],
      [join(dir, partsFileName(metainfo)), 3],
    ]);
    assert.ok(sameStamps(stamps, await dataStamps(metainfo, dir)));
    await Deno.rename(join(dir, "data.bin.part"), join(dir, "data.bin"));
    assert.ok(!sameStamps(stamps, await dataStamps(metainfo, dir)), "renamed");
  });
});

Deno.test("opening with resume data trusts its pieces only while every stamp is the same", async () => {
  await withTempDir(async (dir) => {
    const { metainfo, data } = testTorrent(40_000, 16_384);
    const path = join(dir, "data.bin");
    await Deno.writeFile(path, data);
    const open = async (
      resume?: { verified: Uint8Array; stamps: Awaited<ReturnType<typeof dataStamps>> },
    ) => {
      const { store, verified } = await openFiles(metainfo, dir, "read", { inline: true, resume });
      await store.close();
      return [...verified].map((flag) => flag ? 1 : 0);
    };
    assert.deepEqual(await open(), [1, 1, 1]);
    // Resume data that says piece 1 is missing: trusted as it stands, though the file has it.
    const stamps = await dataStamps(metainfo, dir);
    assert.deepEqual(await open({ verified: new Uint8Array([1, 0, 1]), stamps }), [1, 0, 1]);
    // A piece count that is not the torrent's: rechecked.
    assert.deepEqual(await open({ verified: new Uint8Array([1, 0]), stamps }), [1, 1, 1]);
    // The file touched since: rechecked.
    const stat = await Deno.stat(path);
    await Deno.utime(path, stat.atime!, new Date(stat.mtime!.getTime() + 2_000));
    assert.deepEqual(await open({ verified: new Uint8Array([1, 0, 1]), stamps }), [1, 1, 1]);
  });
});
