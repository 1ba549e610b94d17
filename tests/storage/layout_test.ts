import assert from "node:assert/strict";
import { pieceSize } from "../../src/metainfo/mod.ts";
import { fileSpans } from "../../src/storage/mod.ts";

const files = [
  { offset: 0, length: 3 },
  { offset: 3, length: 0 },
  { offset: 3, length: 5 },
  { offset: 8, length: 2 },
];

const cases: [string, number, number, [number, number, number][]][] = [
  ["inside the first file", 0, 2, [[0, 0, 2]]],
  ["across an empty file", 2, 4, [[0, 2, 1], [2, 0, 3]]],
  ["across three files", 1, 9, [[0, 1, 2], [2, 0, 5], [3, 0, 2]]],
  ["the last byte", 9, 1, [[3, 1, 1]]],
  ["starting at a file boundary", 3, 5, [[2, 0, 5]]],
  ["nothing", 4, 0, []],
];

for (const [name, start, length, expected] of cases) {
  Deno.test(`fileSpans ${name}`, () => {
    const spans = fileSpans(files, start, length).map((s) => [s.fileIndex, s.fileOffset, s.length]);
    assert.deepEqual(spans, expected);
  });
}

Deno.test("pieceSize gives a shorter last piece", () => {
  assert.deepEqual([0, 1, 2].map((i) => pieceSize({ pieceLength: 40, totalLength: 100 }, i)), [
    40,
    40,
    20,
  ]);
  assert.equal(pieceSize({ pieceLength: 40, totalLength: 80 }, 1), 40);
});
