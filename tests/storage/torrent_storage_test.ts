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

async function makeFifo(path: string): Promise<void> {
  const { success } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(success, `mkfifo ${path}`);
}

/**
 * Awaits `opening`; if it is still pending after two seconds (a storage that
 * opened the FIFO blocks until a writer comes), opens the FIFO's other end so
 * that the test fails instead of hanging.
 */
async function withoutHanging<T>(fifo: string, opening: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    opening.then(() => false, () => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), 2000)),
  ]);
  clearTimeout(timer);
  if (!timedOut) return opening;
  const otherEnd = await Deno.open(fifo, { write: true });
  try {
    return await opening;
  } finally {
    otherEnd.close();
  }
}

const notRegular: [string, (path: string) => Promise<void>][] = [
  ["a FIFO", makeFifo],
  ["a directory", (path) => Deno.mkdir(path)],
];

for (const [name, make] of notRegular) {
  for (const mode of ["write", "read"] as const) {
    Deno.test(`storage in ${mode} mode refuses ${name} where a file should be, naming it`, async () => {
      await withTempDir(async (dir) => {
        const target = join(dir, "data.bin");
        await make(target);
        const opening = TorrentStorage.open(dataBinTorrent(), dir, mode);
        await assert.rejects(
          withoutHanging(target, opening),
          (error: unknown) => error instanceof StorageError && error.message.includes(target),
        );
      });
    });
  }
}
