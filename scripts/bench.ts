// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno task bench [SECTION ...] [--size-mib N] [--runs N] [--dir DIR]`:
 * measures p2p against real BitTorrent programs on this machine, side by
 * side in one run, and prints ratios and whether each target holds.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { benchDht } from "./bench/dht.ts";
import { benchEncryption } from "./bench/encryption.ts";
import { benchMakeTorrent } from "./bench/make_torrent.ts";
import { benchManyTorrents } from "./bench/many_torrents.ts";
import { benchFlood } from "./bench/flood.ts";
import { benchGet, benchMagnet, benchSeed } from "./bench/peers.ts";
import { benchTracker, benchTrackerMemory, benchUdpTracker } from "./bench/tracker.ts";
import { benchUtp } from "./bench/utp.ts";

const SECTIONS: Record<string, (dir: string, sizeMiB: number, runs: number) => Promise<void>> = {
  "make-torrent": (dir, sizeMiB, runs) => benchMakeTorrent(dir, sizeMiB, runs),
  tracker: (dir, _sizeMiB, runs) => benchTracker(dir, 10, runs),
  "tracker-udp": (dir, _sizeMiB, runs) => benchUdpTracker(dir, 10, runs),
  "tracker-memory": (dir, _sizeMiB, _runs) => benchTrackerMemory(dir),
  seed: benchSeed,
  get: benchGet,
  magnet: benchMagnet,
  encryption: benchEncryption,
  flood: (dir, sizeMiB, _runs) => benchFlood(dir, Math.min(sizeMiB, 256)),
  many: (dir, _sizeMiB, _runs) => benchManyTorrents(dir),
  utp: benchUtp,
  dht: (_dir, _sizeMiB, _runs) => benchDht(10_000),
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    "size-mib": { type: "string", default: "1024" },
    runs: { type: "string", default: "3" },
    dir: { type: "string" },
  },
});
const chosen = positionals.length > 0 ? positionals : Object.keys(SECTIONS);
const unknown = chosen.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(
    `bench: unknown section ${unknown.join(", ")}; sections: ${Object.keys(SECTIONS).join(", ")}`,
  );
  Deno.exit(2);
}
const dir = values.dir ?? await Deno.makeTempDir({ prefix: "p2p-bench-" });
try {
  for (const name of chosen) {
    await SECTIONS[name](dir, Number(values["size-mib"]), Number(values.runs));
  }
} finally {
  if (!values.dir) await Deno.remove(dir, { recursive: true });
}
