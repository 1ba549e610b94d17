import assert from "node:assert/strict";
import {
  READ_AHEAD_BYTES,
  UPLOAD_CACHE_ENTRIES,
  UploadCache,
} from "../../src/session/upload_cache.ts";
import { testBytes } from "../helpers.ts";

const PIECE_LENGTH = 1024 * 1024;
const TOTAL_LENGTH = 3 * PIECE_LENGTH + 5000;
const DATA = testBytes(TOTAL_LENGTH, 11);

interface CacheSetup {
  pieceLength?: number;
  /** Reads that should fail, by offset. */
  fail?: (offset: number) => boolean;
  verified?: (index: number) => boolean;
  /** Awaited before a read returns, by offset. */
  gate?: (offset: number) => Promise<void> | undefined;
}

/** A cache over DATA that records every read it makes. */
function countingCache(setup: CacheSetup = {}) {
  const pieceLength = setup.pieceLength ?? PIECE_LENGTH;
  const reads: { offset: number; length: number }[] = [];
  const cache = new UploadCache(
    { pieceLength, totalLength: TOTAL_LENGTH },
    async (offset, target) => {
      reads.push({ offset, length: target.length });
      await setup.gate?.(offset);
      if (setup.fail?.(offset)) throw new Error("disk error");
      target.set(DATA.subarray(offset, offset + target.length));
    },
    setup.verified ?? (() => true),
  );
  const block = (index: number, begin: number, length: number) =>
    cache.use(index, begin, length, (bytes) => bytes.slice());
  const expected = (index: number, begin: number, length: number) =>
    DATA.subarray(index * pieceLength + begin, index * pieceLength + begin + length);
  return { cache, reads, block, expected };
}

Deno.test("UploadCache serves a piece's blocks in order with one disk read per read-ahead", async () => {
  const { reads, block, expected } = countingCache();
  for (let begin = 0; begin < PIECE_LENGTH; begin += 16384) {
    assert.deepEqual(await block(1, begin, 16384), expected(1, begin, 16384));
  }
  assert.equal(reads.length, PIECE_LENGTH / READ_AHEAD_BYTES);
  assert.ok(reads.every((read) => read.length === READ_AHEAD_BYTES));
});

Deno.test("UploadCache reads small pieces eight blocks at a time, up to a piece not verified", async () => {
  const pieceLength = 16384;
  const missing = 20;
  const { reads, block, expected } = countingCache({
    pieceLength,
    verified: (index) => index !== missing,
  });
  for (let index = 0; index < missing; index++) {
    assert.deepEqual(await block(index, 0, pieceLength), expected(index, 0, pieceLength));
  }
  assert.deepEqual(reads, [
    { offset: 0, length: READ_AHEAD_BYTES },
    { offset: 8 * pieceLength, length: READ_AHEAD_BYTES },
    // Pieces 16 to 19, then piece 20 is not verified: its bytes are not read.
    { offset: 16 * pieceLength, length: 4 * pieceLength },
  ]);
  assert.deepEqual(await block(21, 0, pieceLength), expected(21, 0, pieceLength));
  assert.deepEqual(reads.at(-1), { offset: 21 * pieceLength, length: READ_AHEAD_BYTES });
});

Deno.test("UploadCache reads never pass the end of the data", async () => {
  const { reads, block, expected } = countingCache();
  assert.deepEqual(await block(3, 1000, 4000), expected(3, 1000, 4000));
  assert.deepEqual(reads.at(-1), { offset: 3 * PIECE_LENGTH + 1000, length: 4000 });
});

Deno.test("UploadCache serves odd offsets and lengths, including one across a read-ahead boundary", async () => {
  const { reads, block, expected } = countingCache();
  assert.deepEqual(await block(0, 100, 16384), expected(0, 100, 16384));
  const across = READ_AHEAD_BYTES + 50;
  assert.deepEqual(await block(0, across, 131072), expected(0, across, 131072));
  assert.deepEqual(reads.at(-1), { offset: across, length: READ_AHEAD_BYTES });
  // Fully inside the first stretch: no new read.
  assert.deepEqual(await block(0, 5000, 7), expected(0, 5000, 7));
  assert.equal(reads.length, 2);
});

Deno.test("UploadCache keeps a bounded number of stretches, least recently used out first", async () => {
  const { reads, block, expected } = countingCache();
  const stretches = UPLOAD_CACHE_ENTRIES + 4;
  const at = (i: number) => [i % 3, Math.floor(i / 3) * READ_AHEAD_BYTES] as const;
  for (let i = 0; i < stretches; i++) await block(...at(i), 16384);
  assert.equal(reads.length, stretches);
  // The most recent one is still held; the first one was dropped and is read again.
  await block(...at(stretches - 1), 16384);
  assert.equal(reads.length, stretches);
  assert.deepEqual(await block(...at(0), 16384), expected(...at(0), 16384));
  assert.equal(reads.length, stretches + 1);
});

Deno.test("UploadCache never recycles a stretch evicted while its reader still waits for it", async () => {
  let release = () => {};
  const opened = new Promise<void>((resolve) => (release = resolve));
  const { cache, expected } = countingCache({
    gate: (offset) => offset === PIECE_LENGTH ? opened : undefined,
  });
  const waiting = cache.use(1, 0, 16384, (bytes) => bytes.slice());
  // Others push the waiting stretch out and recycle their own buffers meanwhile.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < UPLOAD_CACHE_ENTRIES + 2; i++) {
      const begin = (i % 8) * READ_AHEAD_BYTES;
      const index = 2 * (Math.floor(i / 8) % 2);
      const got = await cache.use(index, begin, 4000, (bytes) => bytes.slice());
      assert.deepEqual(got, expected(index, begin, 4000));
    }
  }
  release();
  assert.deepEqual(await waiting, expected(1, 0, 16384));
  // A buffer recycled twice would now back two new stretches: reading seven,
  // then the seven again from memory, would show one's bytes in the other.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 1; i < 8; i++) {
      const got = await cache.use(1, i * READ_AHEAD_BYTES, 4000, (bytes) => bytes.slice());
      assert.deepEqual(got, expected(1, i * READ_AHEAD_BYTES, 4000), `pass ${pass}, stretch ${i}`);
    }
  }
});

Deno.test("UploadCache does not keep a failed read: the next request reads again", async () => {
  let failing = true;
  const { reads, block, expected } = countingCache({ fail: () => failing });
  await assert.rejects(() => block(1, 0, 16384), /disk error/);
  failing = false;
  assert.deepEqual(await block(1, 0, 16384), expected(1, 0, 16384));
  assert.equal(reads.length, 2);
});
