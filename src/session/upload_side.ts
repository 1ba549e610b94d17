import type { TorrentInfo } from "../metainfo/mod.ts";
import type { PieceStore } from "../storage/mod.ts";
import type { Bitfield, BlockRange } from "../wire/mod.ts";
import type { Peer } from "./peer.ts";
import type { RateLimiter } from "./rate_limiter.ts";
import { UploadCache } from "./upload_cache.ts";

/** Requests a peer may have waiting on us (told to peers as `reqq`, BEP 10); more is flooding. */
export const MAX_QUEUED_REQUESTS = 512;

/**
 * Serves verified data: each unchoked peer's requests are queued on its
 * record and worked through in order, one peer's queue at a time per peer,
 * through the upload cache and the process's upload limit, waiting for the
 * peer's send queue to drain so a slow taker never fills memory.
 */
export class UploadSide {
  readonly #cache: UploadCache;

  /**
   * @example
   * ```ts
   * const uploads = new UploadSide(info, storage, have, limiter, (error) => fail(error), clock.now);
   * ```
   */
  constructor(
    info: TorrentInfo,
    store: PieceStore,
    /** The session's verified pieces: only these are served. */
    readonly have: Bitfield,
    readonly limiter: RateLimiter | undefined,
    /** A storage failure while serving. */
    readonly onError: (error: unknown) => void,
    /** The session's clock: when a peer last took data. */
    readonly now: () => number,
  ) {
    this.#cache = new UploadCache(
      info,
      (offset, target) => store.read(offset, target),
      (index) => have.has(index),
    );
  }

  /** A peer's request: queued if we serve it, dropped otherwise (choked, or a piece we lack). */
  request(peer: Peer, request: BlockRange): void {
    if (peer.amChoking) {
      // Requests sent before our choke arrived are dropped; a stream of them is a flood.
      if (++peer.requestsWhileChoked > MAX_QUEUED_REQUESTS) {
        peer.close(`sent more than ${MAX_QUEUED_REQUESTS} requests while choked`);
      }
      return;
    }
    if (!this.have.has(request.index)) return;
    if (peer.uploadQueue.length >= MAX_QUEUED_REQUESTS) {
      peer.close(`more than ${MAX_QUEUED_REQUESTS} requests waiting`);
      return;
    }
    peer.uploadQueue.push({ index: request.index, begin: request.begin, length: request.length });
    if (!peer.serving) this.#serve(peer).catch(this.onError);
  }

  /** A peer no longer wants a block it asked for. */
  cancel(peer: Peer, request: BlockRange): void {
    const queue = peer.uploadQueue;
    const at = queue.findIndex((r) =>
      r.index === request.index && r.begin === request.begin && r.length === request.length
    );
    if (at >= 0) queue.splice(at, 1);
  }

  /** We choked the peer: its waiting requests are dropped, as BEP 3 says. */
  choked(peer: Peer): void {
    peer.uploadQueue.length = 0;
    peer.requestsWhileChoked = 0;
  }

  async #serve(peer: Peer): Promise<void> {
    peer.serving = true;
    try {
      while (!peer.closed && !peer.amChoking) {
        const request = peer.uploadQueue.shift();
        if (!request) return;
        await this.limiter?.take(request.length);
        await this.#cache.use(request.index, request.begin, request.length, (block) => {
          if (peer.closed || peer.amChoking) return;
          // send() copies the block into its frame before returning.
          peer.send({ type: "piece", index: request.index, begin: request.begin, block });
          peer.lastDataAt = this.now();
        });
        if (peer.closed || peer.amChoking) return;
        await peer.connection.drained();
      }
    } finally {
      peer.serving = false;
    }
  }
}
