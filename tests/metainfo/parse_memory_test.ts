/**
 * `p2p info` of very large torrents in memory of a few times their size:
 * one with 3,000,000 piece hashes (60 MB), one with 200,000 files (10 MB).
 * Measured as the peak resident memory of a real `p2p info --json` (GNU
 * time), less that of `p2p info` on a tiny torrent, so that Deno's own
 * share does not count.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { P2P_COMMAND } from "../../scripts/p2p_runtime.ts";
import { needsTools, torrentBytes, validTorrentFields, withTempDir } from "../helpers.ts";

const GNU_TIME = "/usr/bin/time";
const PIECE_LENGTH = 16 * 1024 * 1024;

const encoder = new TextEncoder();

function bencodedString(text: string): string {
  return `${encoder.encode(text).length}:${text}`;
}

/** A .torrent whose info dictionary is `infoStart` + the hashes of `pieceCount` pieces + `e`. */
function torrentWith(infoStart: string, pieceCount: number): Uint8Array {
  const head = encoder.encode(`d4:infod${infoStart}6:pieces${pieceCount * 20}:`);
  const bytes = new Uint8Array(head.length + pieceCount * 20 + 2);
  bytes.set(head);
  bytes.set(encoder.encode("ee"), bytes.length - 2);
  return bytes;
}

function manyPieces(pieceCount: number): Uint8Array {
  const name = bencodedString("big.bin");
  return torrentWith(
    `6:lengthi${pieceCount * PIECE_LENGTH}e4:name${name}12:piece lengthi${PIECE_LENGTH}e`,
    pieceCount,
  );
}

function manyFiles(fileCount: number): Uint8Array {
  const entries: string[] = [];
  let total = 0;
  for (let i = 0; i < fileCount; i++) {
    const length = 1_000_000 + i;
    total += length;
    const path = `l${bencodedString(`dir${i % 1000}`)}${bencodedString(`file${i}.bin`)}e`;
    entries.push(`d6:lengthi${length}e4:path${path}e`);
  }
  return torrentWith(
    `5:filesl${entries.join("")}e4:name4:many12:piece lengthi${PIECE_LENGTH}e`,
    Math.ceil(total / PIECE_LENGTH),
  );
}

/** Runs `p2p info --json` on `torrent` under GNU time: seconds and peak resident bytes. */
async function measureInfo(dir: string, torrent: Uint8Array): Promise<[number, number]> {
  const path = join(dir, "x.torrent");
  const report = join(dir, "time.txt");
  await Deno.writeFile(path, torrent);
  const output = await new Deno.Command(GNU_TIME, {
    args: ["-f", "%e %M", "-o", report, ...P2P_COMMAND, "info", "--json", path],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const [seconds, kibibytes] = (await Deno.readTextFile(report)).trim().split("\n").at(-1)!
    .split(" ").map(Number);
  return [seconds, kibibytes * 1024];
}

/**
 * Each torrent and the memory it may take beyond a tiny one's, per byte of
 * the .torrent. The hashes are one string, which is read in place. A file
 * must become a record (path names, length, offset: about 190 bytes against
 * some 50 in the torrent), so 200,000 files take about eight times their
 * bytes; they took 47 times before the files list was read entry by entry.
 */
const cases: [string, () => Uint8Array, number][] = [
  ["3,000,000 piece hashes", () => manyPieces(3_000_000), 3],
  ["200,000 files", () => manyFiles(200_000), 12],
];

for (const [name, make, memoryPerByte] of cases) {
  Deno.test({
    name: `info of a torrent of ${name} stays within ${memoryPerByte}x its size`,
    ignore: Deno.build.os !== "linux" || !needsTools(GNU_TIME),
    async fn() {
      await withTempDir(async (dir) => {
        const [, tinyPeak] = await measureInfo(dir, torrentBytes(validTorrentFields().top));
        const torrent = make();
        const [seconds, peak] = await measureInfo(dir, torrent);
        const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
        assert.ok(
          peak - tinyPeak <= memoryPerByte * torrent.length,
          `${mib(torrent.length)} torrent: peak ${mib(peak)}, ${
            mib(peak - tinyPeak)
          } more than a tiny torrent's, in ${seconds} s`,
        );
      });
    },
  });
}
