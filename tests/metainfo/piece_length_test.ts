import assert from "node:assert/strict";
import { choosePieceLength, parsePieceLength } from "../../src/metainfo/mod.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const choices: [number, number][] = [
  [0, 16 * KiB],
  [1, 16 * KiB],
  [3_359_647, 16 * KiB],
  [32 * MiB, 32 * KiB],
  [100 * MiB, 64 * KiB],
  [GiB, MiB],
  [32 * GiB, 16 * MiB],
  [4096 * GiB, 16 * MiB],
];

for (const [size, expected] of choices) {
  Deno.test(`choosePieceLength(${size}) is ${expected}`, () => {
    const chosen = choosePieceLength(size);
    assert.equal(chosen, expected);
  });
}

Deno.test("choosePieceLength keeps mid-size torrents between 1,000 and 2,000 pieces", () => {
  for (let size = 40 * MiB; size < 30 * GiB; size = Math.floor(size * 1.37)) {
    const pieces = Math.ceil(size / choosePieceLength(size));
    assert.ok(pieces > 1000 && pieces <= 2000, `${size} bytes gave ${pieces} pieces`);
  }
});

const parses: [string, number | null][] = [
  ["256K", 256 * KiB],
  ["256k", 256 * KiB],
  ["1M", MiB],
  ["16KiB", 16 * KiB],
  ["262144", 256 * KiB],
  ["18", 256 * KiB],
  ["14", 16 * KiB],
  ["28", 256 * MiB],
  ["13", null],
  ["29", null],
  ["300K", null],
  ["8K", null],
  ["512M", null],
  ["abc", null],
  ["-1", null],
  ["", null],
];

for (const [input, expected] of parses) {
  Deno.test(`parsePieceLength("${input}")`, () => {
    const result = parsePieceLength(input);
    if (expected === null) assert.equal(result.ok, false);
    else assert.deepEqual(result, { ok: true, bytes: expected });
  });
}
