import assert from "node:assert/strict";
import { join } from "node:path";
import { hashPieces, StorageError, verifyPieces } from "../../src/storage/mod.ts";
import { pieceHashesOf, testBytes, withTempDir } from "../helpers.ts";

Deno.test("hashPieces matches SHA-1 of each piece across file boundaries, any worker count, inline or not", async () => {
  await withTempDir(async (dir) => {
    const sizes = [70_000, 0, 1, 16_384, 123_457];
    const data = testBytes(sizes.reduce((a, b) => a + b), 7);
    let offset = 0;
    const files = [];
    for (const [i, length] of sizes.entries()) {
      const absolutePath = join(dir, `f${i}`);
      await Deno.writeFile(absolutePath, data.subarray(offset, offset + length));
      files.push({ absolutePath, offset, length });
      offset += length;
    }
    for (const workers of [1, 2, 5]) {
      for (const inline of [false, true]) {
        let progressed = 0;
        const hashes = await hashPieces({ files, pieceLength: 16384 }, {
          workers,
          inline,
          onProgress: (bytes) => (progressed += bytes),
        });
        assert.deepEqual(
          hashes,
          pieceHashesOf(data, 16384),
          `${workers} workers, inline ${inline}`,
        );
        assert.equal(progressed, data.length);
      }
    }
  });
});

Deno.test("hashPieces reports a file that shrank since it was listed", async () => {
  await withTempDir(async (dir) => {
    const absolutePath = join(dir, "f");
    await Deno.writeFile(absolutePath, testBytes(1000));
    await assert.rejects(
      () => hashPieces({ files: [{ absolutePath, offset: 0, length: 5000 }], pieceLength: 16384 }),
      (error: unknown) => error instanceof StorageError && /shorter/.test(error.message),
    );
  });
});

Deno.test("verifyPieces fails only the pieces of a missing file or a corrupt byte, shared among threads", async () => {
  await withTempDir(async (dir) => {
    const pieceLength = 16384;
    // Ten pieces: file a holds pieces 0-3, b (missing on disk) 4-5 and part of 6, c the rest.
    const sizes = [4 * pieceLength, 2 * pieceLength + 100, 4 * pieceLength - 100];
    const data = testBytes(sizes.reduce((a, b) => a + b), 3);
    const files = sizes.map((length, i) => ({
      absolutePath: join(dir, `f${i}`),
      offset: sizes.slice(0, i).reduce((a, b) => a + b, 0),
      length,
    }));
    const onDisk = data.slice();
    onDisk[8 * pieceLength + 5] ^= 0xff;
    await Deno.writeFile(files[0].absolutePath, onDisk.subarray(0, sizes[0]));
    await Deno.writeFile(files[2].absolutePath, onDisk.subarray(files[2].offset));
    const expected = [1, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    for (const workers of [1, 2, 3]) {
      for (const inline of [false, true]) {
        const verified = await verifyPieces(
          { files, pieceLength },
          pieceHashesOf(data, pieceLength),
          {
            workers,
            inline,
          },
        );
        assert.deepEqual([...verified], expected, `${workers} threads, inline ${inline}`);
      }
    }
  });
});
