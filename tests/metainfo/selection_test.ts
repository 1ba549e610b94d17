import assert from "node:assert/strict";
import {
  checkSelectOnly,
  MetainfoError,
  parseFileSelection,
  type TorrentFile,
  wantedPieces,
} from "../../src/metainfo/mod.ts";

/** Files of the given paths, 10 bytes each, one after another. */
function filesAt(...paths: string[]): TorrentFile[] {
  return paths.map((path, index) => ({ path: path.split("/"), length: 10, offset: index * 10 }));
}

const album = filesAt(
  "cover.jpg",
  "docs/notes.txt",
  "docs/a/deep.txt",
  "music/1.flac",
  "music/2.flac",
);

Deno.test("file selections: numbers from 1, ranges and globs", () => {
  const cases: [string, number[]][] = [
    ["1", [0]],
    ["1,3-5", [0, 2, 3, 4]],
    ["5,1,1", [0, 4]],
    ["2-2", [1]],
    [" 1 , 2 ", [0, 1]],
    ["docs/*", [1]],
    ["docs/**", [1, 2]],
    ["**/*.txt", [1, 2]],
    ["music/?.flac,1", [0, 3, 4]],
    ["*.jpg", [0]],
    // Only a glob's own wildcards are special: the dot here is a dot.
    ["cover.jpg", [0]],
  ];
  for (const [spec, expected] of cases) {
    assert.deepEqual(parseFileSelection(spec, album), expected, spec);
  }
});

Deno.test("hostile file selections are refused in one line naming the item", () => {
  const cases: [string, RegExp][] = [
    ["", /names no file/],
    [",", /names no file/],
    ["0", /--select 0: the torrent has 5 files, numbered 1 to 5/],
    ["6", /--select 6: the torrent has 5 files/],
    ["4-9", /--select 4-9/],
    ["3-2", /--select 3-2: a range goes from the lower number up/],
    ["99999999999", /no file of the torrent matches/],
    ["video/*", /--select video\/\*: no file of the torrent matches/],
    // A glob is not a regular expression.
    ["docs/.*", /no file of the torrent matches/],
  ];
  for (const [spec, expected] of cases) {
    assert.throws(
      () => parseFileSelection(spec, album),
      (error: unknown) => error instanceof MetainfoError && expected.test(error.message),
      spec,
    );
  }
  assert.throws(() => checkSelectOnly([0, 5], album), /so in the magnet link selects file 5/);
  assert.deepEqual(checkSelectOnly([0, 4], album), [0, 4]);
});

Deno.test("a glob over a torrent of 10,000 files selects in milliseconds", () => {
  const files = Array.from(
    { length: 10_000 },
    (_, i) => ({ path: [`dir${i % 100}`, `file${i}.dat`], length: 1, offset: i }),
  );
  const started = performance.now();
  const selected = parseFileSelection("dir7/*,dir42/**", files);
  const elapsed = performance.now() - started;
  assert.equal(selected.length, 200);
  assert.ok(elapsed < 200, `took ${elapsed.toFixed(0)} ms`);
});

Deno.test("wanted pieces: every piece with a byte of a selected file, none for empty files", () => {
  // Files of 10, 0, 25 and 5 bytes over pieces of 8: [0,10) [10,10) [10,35) [35,40).
  const files: TorrentFile[] = [
    { path: ["a"], length: 10, offset: 0 },
    { path: ["empty"], length: 0, offset: 10 },
    { path: ["b"], length: 25, offset: 10 },
    { path: ["c"], length: 5, offset: 35 },
  ];
  const geometry = { pieceCount: 5, pieceLength: 8, totalLength: 40 };
  const cases: [boolean[], number[]][] = [
    [[true, false, false, false], [1, 1, 0, 0, 0]],
    [[false, true, false, false], [0, 0, 0, 0, 0]],
    [[false, false, true, false], [0, 1, 1, 1, 1]],
    [[false, false, false, true], [0, 0, 0, 0, 1]],
  ];
  for (const [selected, expected] of cases) {
    assert.deepEqual([...wantedPieces(geometry, files, selected)], expected, String(selected));
  }
});
