import type { InfoHash } from "../../metainfo/mod.ts";
import { req2Hash } from "./keys.ts";

/** Finds the torrent whose HASH('req2', info hash) an encrypting peer proved. */
export interface InfoHashLookup {
  find(req2: Uint8Array): InfoHash | undefined;
}

/**
 * The torrents a listener serves, keyed by HASH('req2', info hash): an
 * incoming encrypted peer names its torrent only through that hash, so
 * each torrent's is computed once, when it is added, and a peer costs one
 * map lookup however many torrents there are.
 *
 * @example
 * ```ts
 * const served = new ServedTorrents();
 * served.add(infoHash);
 * served.find(req2Hash(infoHash)); // infoHash
 * ```
 */
export class ServedTorrents implements InfoHashLookup {
  readonly #byReq2 = new Map<string, InfoHash>();

  /** Serves `infoHash` (again: harmless). */
  add(infoHash: InfoHash): void {
    this.#byReq2.set(key(req2Hash(infoHash)), infoHash);
  }

  /** Stops serving `infoHash`. */
  delete(infoHash: InfoHash): void {
    this.#byReq2.delete(key(req2Hash(infoHash)));
  }

  /** The served torrent whose HASH('req2', info hash) is `req2`, if any. */
  find(req2: Uint8Array): InfoHash | undefined {
    return this.#byReq2.get(key(req2));
  }
}

/** A hash as a binary string: an exact Map key. */
function key(hash: Uint8Array): string {
  return String.fromCharCode(...hash);
}
