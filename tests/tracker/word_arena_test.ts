import assert from "node:assert/strict";
import { type Chunk, PAGE_WORDS, WordArena } from "../../src/tracker/word_arena.ts";

Deno.test("small chunks share a page, each aligned to its size, none overlapping", () => {
  const arena = new WordArena();
  const chunks = [4, 16, 2, 64, 8, 2].map((size) => arena.allocate(size));
  assert.ok(chunks.every((chunk) => chunk.page === 0 && chunk.words === chunks[0].words));
  assert.ok(chunks.every((chunk) => chunk.base % chunk.size === 0), "aligned");
  const spans = chunks.map((c) => [c.base, c.base + c.size]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], "apart");
});

Deno.test("a freed chunk merges with its free buddy into one twice its size", () => {
  const arena = new WordArena();
  const first = arena.allocate(32);
  const second = arena.allocate(32);
  assert.equal(first.base ^ 32, second.base, "buddies");
  arena.free(first);
  const again = arena.allocate(32);
  assert.equal(again.base, first.base, "a freed chunk is handed out again");
  arena.free(again);
  arena.free(second);
  assert.equal(arena.allocate(64).base, Math.min(first.base, second.base), "merged");
});

Deno.test("lists that double together reuse what they free: pages stay near the final size", () => {
  const arena = new WordArena();
  const lists = 2000;
  let chunks: Chunk[] = Array.from({ length: lists }, () => arena.allocate(4));
  for (let size = 8; size <= 256; size *= 2) {
    chunks = chunks.map((old) => {
      const grown = arena.allocate(size);
      arena.free(old);
      return grown;
    });
  }
  const pages = new Set(chunks.map((chunk) => chunk.page)).size;
  const needed = (lists * 256) / PAGE_WORDS; // 7.8 pages
  assert.ok(
    pages <= Math.ceil(needed) + 1,
    `${pages} pages for ${needed.toFixed(1)} pages of data`,
  );
  const highest = Math.max(...chunks.map((chunk) => chunk.page));
  assert.ok(highest <= Math.ceil(needed), `no page past ${highest}`);
});

Deno.test("a chunk's halves are its own words, two a word", () => {
  const arena = new WordArena();
  const [a, b] = [arena.allocate(4), arena.allocate(4)];
  a.halves.fill(0xffff, a.base * 2, (a.base + a.size) * 2);
  assert.deepEqual([...a.words.subarray(a.base, a.base + 4)], Array(4).fill(0xffffffff));
  assert.deepEqual([...b.words.subarray(b.base, b.base + 4)], [0, 0, 0, 0]);
});

Deno.test("chunks larger than a page are arrays of their own; sizes are powers of two", () => {
  const arena = new WordArena();
  const large = arena.allocate(PAGE_WORDS * 2);
  assert.equal(large.words.length, PAGE_WORDS * 2);
  assert.equal(large.page, -1);
  arena.free(large);
  assert.throws(() => arena.allocate(12), RangeError);
  assert.throws(() => arena.allocate(1), RangeError);
});
