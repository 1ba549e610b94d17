/**
 * How p2p runs: the permissions and V8 settings it ships with. `deno task
 * compile` bakes them into the binary, `deno task p2p` (deno.json, checked
 * against this file by a test) and the benchmarks run the sources with them,
 * so what is measured is what is shipped.
 *
 * @module
 */

/** What p2p touches: its files, the network, its environment and the core count. */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
];

/**
 * V8's young generation capped at 1 MiB per semi-space (16 by default). A
 * seed or tracker allocates a little for every block or announce; with the
 * default, V8 grows the young generation towards its maximum and the heap
 * stays large. Measured (eight aria2c leechers on 1 GiB): seed peak RSS
 * about 104 MiB without, 81 MiB with, at the same upload time; the tracker
 * bench kept its rate and p99. `--optimize-for-size` saved as much on the
 * seed but tripled the tracker's p99, so it is not used.
 *
 * And V8's full collection exposed to p2p (`--expose-gc`), which the
 * tracker runs once when it falls quiet after a burst of announces
 * (src/tracker/quiet_collection.ts).
 */
export const V8_FLAGS = "--v8-flags=--max-semi-space-size=1,--expose-gc";

/**
 * Every p2p this module starts (and any child of this process) discovers
 * nothing on its own: no public DHT routers, no local discovery multicast
 * (see `P2P_NO_DISCOVERY` in src/cli/discovery.ts). Set here, where the
 * processes are started, so that no test can forget it.
 */
Deno.env.set("P2P_NO_DISCOVERY", "1");

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The command that runs p2p from source as shipped: `[...P2P_COMMAND, "seed", ...]`. */
export const P2P_COMMAND = [Deno.execPath(), "run", ...PERMISSIONS, V8_FLAGS, MAIN];

/**
 * `p2p seed TORRENT -d SEED_DIR` on a free port, quiet, with `extra` options: how
 * every benchmark starts its p2p seed.
 */
export function p2pSeedCommand(torrent: string, seedDir: string, ...extra: string[]): string[] {
  return [...P2P_COMMAND, "seed", torrent, "-d", seedDir, "-p", "0", "-q", ...extra];
}
