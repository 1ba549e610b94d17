import assert from "node:assert/strict";
import { join } from "node:path";
import { deleteTorrentData } from "../../src/daemon/mod.ts";
import { testBytes, withTempDir } from "../helpers.ts";
import { makeTorrent } from "./daemon_helpers.ts";

function namesIn(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("deleteTorrentData: its files, .part or final, and emptied folders; nothing else", async () => {
  await withTempDir(async (dir) => {
    const { metainfo } = await makeTorrent(dir, "album", {
      "cd1/a.bin": testBytes(100),
      "cd1/b.bin": testBytes(100, 2),
      "cd2/c.bin": testBytes(100, 3),
    }, []);
    await Deno.rename(join(dir, "album/cd1/b.bin"), join(dir, "album/cd1/b.bin.part"));
    await Deno.writeTextFile(join(dir, "album/cd2/notes.txt"), "mine");
    await Deno.writeTextFile(join(dir, "beside.txt"), "mine too");
    assert.equal(await deleteTorrentData(metainfo, dir), 3);
    assert.deepEqual(namesIn(dir), ["album", "beside.txt"]);
    assert.deepEqual(namesIn(join(dir, "album")), ["cd2"]);
    assert.deepEqual(namesIn(join(dir, "album/cd2")), ["notes.txt"]);
  });
});

Deno.test("deleteTorrentData: never through a symbolic link to elsewhere", async () => {
  await withTempDir(async (dir) => {
    const { metainfo } = await makeTorrent(join(dir, "elsewhere"), "album", {
      "cd1/a.bin": testBytes(100),
    }, []);
    await Deno.mkdir(join(dir, "downloads/album"), { recursive: true });
    await Deno.symlink(join(dir, "elsewhere/album/cd1"), join(dir, "downloads/album/cd1"));
    assert.equal(await deleteTorrentData(metainfo, join(dir, "downloads")), 0);
    assert.ok(await Deno.stat(join(dir, "elsewhere/album/cd1/a.bin")));
  });
});
