import type { TorrentInfo } from "../metainfo/mod.ts";
import type { PieceStore } from "../storage/mod.ts";
import type { Bitfield, BlockRange } from "../wire/mod.ts";
import type { Peer } from "./peer.ts";
import { SEND_HIGH_WATER } from "./peer_connection.ts";
import type { RateLimiter } from "./rate_limiter.ts";
import { UploadCache } from "./upload_cache.ts";

/** Requests a peer may have waiting on us (told to peers as `reqq`, BEP 10); more is flooding. */
export const MAX_QUEUED_REQUESTS = 512;
/**
 * Requests of a Fast peer we may refuse with a reject (pieces we lack, a
 * full queue) before it is dropped: an honest peer asks only for what we
 * said we have, within our `reqq`, and each reject costs us a message.
 */
export const MAX_REFUSED_REQUESTS = 512;
/**
 * Bytes queued to a peer above which it is dropped rather than sent another
 * reject: pieces wait for the queue to fall under {@link SEND_HIGH_WATER},
 * so an honest reader's queue stays near it, while a peer that asks and
 * cancels without reading would make the rejects it earns pile up.
 */
export const MAX_QUEUED_WITH_REJECTS = 2 * SEND_HIGH_WATER;

/**
 * Serves verified data: each unchoked peer's requests are queued on its
 * record and worked through in order, one peer's queue at a time per peer,
 * through the upload cache and the process's upload limit, waiting for the
 * peer's send queue to drain so a slow taker never fills memory. A choked
 * peer is served the pieces of its allowed-fast set (BEP 6) alike.
 *
 * To a peer that speaks Fast every request is answered, with the block or a
 * reject (a choke, a piece we lack, a full queue, a cancel); requests of
 * other peers we do not serve are dropped, as BEP 3 has it.
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

  /**
   * A peer's request: queued if we serve it; otherwise rejected to a Fast
   * peer and dropped for others (choked outside its allowed-fast set, or a
   * piece we lack).
   */
  request(peer: Peer, request: BlockRange): void {
    if (!this.#mayServe(peer, request.index)) {
      // Requests sent before our choke arrived are refused; a stream of them is a flood.
      if (++peer.requestsWhileChoked > MAX_QUEUED_REQUESTS) {
        peer.close(`sent more than ${MAX_QUEUED_REQUESTS} requests while choked`);
      } else {
        this.#reject(peer, request);
      }
      return;
    }
    if (!this.have.has(request.index)) return this.#refuse(peer, request);
    if (peer.uploadQueue.length >= MAX_QUEUED_REQUESTS) {
      if (peer.fast) return this.#refuse(peer, request);
      peer.close(`more than ${MAX_QUEUED_REQUESTS} requests waiting`);
      return;
    }
    peer.uploadQueue.push(blockRange(request));
    if (!peer.serving) this.#serve(peer).catch(this.onError);
  }

  /** A peer no longer wants a block it asked for; a Fast peer hears a reject (BEP 6). */
  cancel(peer: Peer, request: BlockRange): void {
    const queue = peer.uploadQueue;
    const at = queue.findIndex((r) =>
      r.index === request.index && r.begin === request.begin && r.length === request.length
    );
    if (at < 0) return;
    queue.splice(at, 1);
    this.#reject(peer, request);
  }

  /**
   * We choked the peer: its waiting requests are dropped, as BEP 3 says, or
   * for a Fast peer rejected, but for those in its allowed-fast set, which
   * are still served.
   */
  choked(peer: Peer): void {
    const kept = [];
    for (const request of peer.uploadQueue) {
      if (this.#mayServe(peer, request.index)) kept.push(request);
      else this.#reject(peer, request);
    }
    peer.uploadQueue.splice(0, peer.uploadQueue.length, ...kept);
    peer.requestsWhileChoked = 0;
  }

  /** Whether a request for piece `index` is served now: unchoked, or in the allowed-fast set. */
  #mayServe(peer: Peer, index: number): boolean {
    return !peer.amChoking || peer.allowedFastByUs.has(index);
  }

  /** A request we cannot serve at all: a Fast peer is told so, a few hundred times at most. */
  #refuse(peer: Peer, request: BlockRange): void {
    if (!peer.fast) return;
    if (++peer.refusedRequests > MAX_REFUSED_REQUESTS) {
      peer.close(`sent ${peer.refusedRequests} requests we cannot serve`);
      return;
    }
    this.#reject(peer, request);
  }

  /** Tells a Fast peer we will not serve a request (BEP 6); other peers hear nothing. */
  #reject(peer: Peer, request: BlockRange): void {
    if (!peer.fast) return;
    if (peer.connection.queuedBytes > MAX_QUEUED_WITH_REJECTS) {
      peer.close("reads nothing of the rejects it asks for");
      return;
    }
    peer.send({ type: "reject", ...blockRange(request) });
  }

  async #serve(peer: Peer): Promise<void> {
    peer.serving = true;
    try {
      while (!peer.closed) {
        const request = peer.uploadQueue.shift();
        if (!request) return;
        await this.limiter?.take(request.length);
        await this.#cache.use(request.index, request.begin, request.length, (block) => {
          if (peer.closed) return;
          if (!this.#mayServe(peer, request.index)) {
            // Choked while this one was read: a Fast peer still gets its one answer.
            this.#reject(peer, request);
            return;
          }
          // send() copies the block into its frame before returning.
          peer.send({ type: "piece", index: request.index, begin: request.begin, block });
          peer.lastDataAt = this.now();
        });
        if (peer.closed) return;
        await peer.connection.drained();
      }
    } finally {
      peer.serving = false;
    }
  }
}

/** A request's range alone, without its message type. */
function blockRange({ index, begin, length }: BlockRange): BlockRange {
  return { index, begin, length };
}
