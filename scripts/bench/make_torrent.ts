/**
 * make-torrent against mktorrent (two threads) and `openssl dgst -sha1` on
 * the same file, warm cache, side by side. Targets (issue #2): no slower
 * than mktorrent, under 100 MB peak memory.
 *
 * @module
 */
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { P2P_COMMAND } from "../p2p_runtime.ts";
import {
  ensureRandomFile,
  formatMemory,
  measure,
  printTable,
  printTarget,
  warmCache,
} from "./measure.ts";

/** Runs the make-torrent benchmark on a file of `sizeMiB` in `dir`. */
export async function benchMakeTorrent(dir: string, sizeMiB: number, runs: number): Promise<void> {
  const data = join(dir, "bench-data.bin");
  await ensureRandomFile(data, sizeMiB * 2 ** 20);
  await warmCache(data);
  const ours = join(dir, "p2p.torrent");
  const theirs = join(dir, "mktorrent.torrent");
  const removeTheirs = () => Deno.remove(theirs).catch(() => {});
  const rows = [
    await measure("p2p make-torrent (2 threads)", [
      ...P2P_COMMAND,
      "make-torrent",
      data,
      "-l",
      "256K",
      "--no-date",
      "-q",
      "-f",
      "-o",
      ours,
    ], { runs }),
    await measure("mktorrent -t 2", ["mktorrent", "-t", "2", "-l", "18", "-o", theirs, data], {
      runs,
      before: removeTheirs,
    }),
    await measure("openssl dgst -sha1 (1 core)", ["openssl", "dgst", "-sha1", data], { runs }),
  ];
  printTable(`make-torrent: ${sizeMiB} MiB file, 256 KiB pieces, median of ${runs} runs`, rows);
  const sameHash = parseMetainfo(await Deno.readFile(ours)).infoHash.hex ===
    parseMetainfo(await Deno.readFile(theirs)).infoHash.hex;
  printTarget("same info hash as mktorrent", sameHash, sameHash ? "yes" : "no");
  const ratio = rows[0].seconds / rows[1].seconds;
  printTarget("no slower than mktorrent", ratio <= 1, `${ratio.toFixed(2)}× mktorrent's time`);
  printTarget(
    "peak memory under 100 MB",
    rows[0].peakBytes < 100e6,
    formatMemory(rows[0].peakBytes),
  );
  await removeTheirs();
}
