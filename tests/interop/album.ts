/**
 * The album the interop tests share: a multi-file torrent with nested
 * directories, an empty file and an odd size, in `p2p tracker` swarms.
 *
 * @module
 */
import { type Layout, startSwarm, type Swarm } from "../session/swarm_helpers.ts";

/** The album's directory name, and the torrent's. */
export const NAME = "album";
/** Its files and sizes. */
export const LAYOUT: Layout = {
  "cd1/track1.bin": 2_500_000,
  "cd1/empty": 0,
  "cd2/track2.bin": 1_700_001,
  "cover.jpg": 55_555,
};

/**
 * A tracker, the album's torrent in 64 KiB pieces, and `seeds` p2p seeds of
 * it (run with `seedArgs`).
 */
export function albumSwarm(
  dir: string,
  seeds: number,
  options: { layout?: Layout; seedArgs?: string[] } = {},
): Promise<Swarm> {
  return startSwarm(dir, {
    name: NAME,
    layout: options.layout ?? LAYOUT,
    pieceLength: "64K",
    seeds,
    seedArgs: options.seedArgs,
  });
}
