import assert from "node:assert/strict";
import { join } from "node:path";
import { scanSource, StorageError } from "../../src/storage/mod.ts";
import { withTempDir } from "../helpers.ts";

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
}

Deno.test("scan orders files by path bytes, skips hidden files and empty directories", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "album");
    await writeTree(root, {
      "b.txt": "bb",
      "a-b": "x",
      "a/z.txt": "zz",
      "a/b.txt": "b",
      "Z.txt": "Z",
      ".hidden": "h",
      "a/.secret/key": "k",
      "é.txt": "e",
    });
    await Deno.mkdir(join(root, "empty/deeper"), { recursive: true });
    const source = await scanSource(root);
    assert.equal(source.kind, "multi");
    assert.equal(source.name, "album");
    // "a-b" sorts before "a/..." because '-' (0x2d) < '/' (0x2f), as mktorrent sorts.
    assert.deepEqual(source.files.map((f) => f.path.join("/")), [
      "Z.txt",
      "a-b",
      "a/b.txt",
      "a/z.txt",
      "b.txt",
      "é.txt",
    ]);
    assert.deepEqual(source.files.map((f) => f.length), [1, 1, 1, 2, 2, 1]);
    const withHidden = await scanSource(root, { includeHidden: true });
    assert.ok(withHidden.files.some((f) => f.path.join("/") === "a/.secret/key"));
  });
});

Deno.test("scan skips symbolic links unless asked, and refuses a link loop", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "tree");
    await writeTree(root, { "real.txt": "data", "sub/inner.txt": "in" });
    await Deno.symlink(join(root, "real.txt"), join(root, "link.txt"));
    const plain = await scanSource(root);
    assert.deepEqual(plain.files.map((f) => f.path.join("/")), ["real.txt", "sub/inner.txt"]);
    assert.deepEqual(plain.skipped, ["link.txt"]);
    const followed = await scanSource(root, { followSymlinks: true });
    assert.deepEqual(followed.files.map((f) => f.path.join("/")), [
      "link.txt",
      "real.txt",
      "sub/inner.txt",
    ]);
    await Deno.symlink(root, join(root, "sub", "loop"));
    await assert.rejects(
      () => scanSource(root, { followSymlinks: true }),
      (error: unknown) => error instanceof StorageError && /link loop/.test(error.message),
    );
  });
});

Deno.test("scan of a single file, a missing path and an empty directory", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "one.bin": "12345" });
    const single = await scanSource(join(dir, "one.bin"));
    assert.equal(single.kind, "single");
    assert.deepEqual(single.files.map((f) => [f.path, f.length]), [[["one.bin"], 5]]);
    await assert.rejects(
      () => scanSource(join(dir, "missing")),
      (error: unknown) => error instanceof StorageError && /no such file/.test(error.message),
    );
    await Deno.mkdir(join(dir, "nothing"));
    await assert.rejects(
      () => scanSource(join(dir, "nothing")),
      (error: unknown) => error instanceof StorageError && /no files to share/.test(error.message),
    );
  });
});
