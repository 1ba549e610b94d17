import { pieceSize, type TorrentInfo } from "../metainfo/mod.ts";
import { type Bitfield, BLOCK_SIZE } from "../wire/mod.ts";
import { BufferPool } from "./buffer_pool.ts";
import type { Peer } from "./peer.ts";
import { type Contributor, DEFAULT_PIPELINE_DEPTH, PiecePicker } from "./picker.ts";
import type { PieceWriter } from "./piece_writer.ts";

/** A peer that delivers nothing it was asked for this long gives its work back. */
export const STALL_TIMEOUT_MS = 15_000;

/** What the scheduler tells its session. */
export interface SchedulerEvents {
  /** A piece matched its hash and was written: the session sets its bit at once, then says have. */
  onVerified(index: number, from: Contributor[]): void;
  /** A piece failed its hash and was discarded: its senders are suspects. */
  onFailed(index: number, suspects: Contributor[]): void;
  /** Writing failed (disk full, ...): the session cannot go on. */
  onError(error: unknown): void;
  /** One line for people. */
  log(line: string): void;
}

/**
 * The download side of a session: deals pieces to peers through the picker,
 * keeps each unchoked peer's pipeline full, assembles arriving blocks into
 * piece buffers, hands complete pieces to the piece writer, and takes work
 * back from peers that choke, stall or leave. It reads the session's
 * verified bitfield and never writes it.
 */
export class DownloadScheduler {
  readonly #picker: PiecePicker;
  readonly #buffers = new Map<number, Uint8Array>();
  /** Piece buffers reused across downloaded pieces: a gigabyte through the same few megabytes. */
  readonly #pool = new BufferPool();

  /**
   * @example
   * ```ts
   * const scheduler = new DownloadScheduler(info, have, peers, writer, events, firstPiece);
   * ```
   */
  constructor(
    readonly info: TorrentInfo,
    readonly have: Bitfield,
    /** The session's connected peers, by id. */
    readonly peers: ReadonlyMap<number, Peer>,
    readonly writer: PieceWriter,
    readonly events: SchedulerEvents,
    /**
     * Where dealing starts: a random piece spreads a crowd of downloaders
     * over different pieces, so they have pieces to trade.
     */
    firstPiece: number,
  ) {
    this.#picker = new PiecePicker(info, have, DEFAULT_PIPELINE_DEPTH, firstPiece);
  }

  /** A new peer joins the rotation. */
  addPeer(peer: Peer): void {
    this.#picker.addPeer(peer.id, peer);
  }

  /** A peer left: its work goes back to the pool and to the others. */
  removePeer(peer: Peer): void {
    this.#picker.removePeer(peer.id);
    this.fillAll();
  }

  /** The peer choked us: its dealt pieces and unanswered requests go back, to the others at once. */
  choked(peer: Peer): void {
    this.#picker.release(peer.id);
    this.fillAll();
  }

  /** Keeps our pipeline to a peer within the queue it says it keeps (`reqq`). */
  limitPipeline(peer: Peer, depth: number): void {
    this.#picker.limitPipeline(peer.id, depth);
  }

  #haves = (id: number): Bitfield | undefined => {
    const peer = this.peers.get(id);
    if (!peer || peer.closed || peer.peerChoking || peer.stalled) return undefined;
    return peer.have;
  };

  /** A peer whose unanswered requests would take it over a second at its recent rate. */
  #slowerThanASecond = (id: number): boolean => {
    const peer = this.peers.get(id);
    if (!peer) return false;
    const rate = peer.connection.downloaded.rate();
    return rate === 0 || (this.#picker.outstanding(id) * BLOCK_SIZE) / rate > 1;
  };

  /** Asks `peer` for blocks until its pipeline is full. */
  fill(peer: Peer): void {
    if (this.have.complete || peer.peerChoking || peer.closed || !peer.amInterested) return;
    // Backpressure: a disk slower than the network must not fill memory with pieces.
    if (this.writer.backlogged) return;
    const { requests, cancels } = this.#picker.requestsFor(
      peer.id,
      this.#haves,
      this.#slowerThanASecond,
    );
    for (const { peer: other, request } of cancels) {
      this.peers.get(other)?.send({ type: "cancel", ...request });
    }
    for (const request of requests) peer.send({ type: "request", ...request });
  }

  /** Fills every peer's pipeline. */
  fillAll(): void {
    for (const peer of this.peers.values()) this.fill(peer);
  }

  /** A block arrived; its bytes are a view valid only during this call. */
  received(peer: Peer, index: number, begin: number, block: Uint8Array, now: number): void {
    peer.connection.downloaded.add(block.length);
    peer.lastBlockAt = now;
    peer.stalled = false;
    const outcome = this.#picker.received(peer.id, index, begin, block.length);
    if (outcome.accepted) {
      let buffer = this.#buffers.get(index);
      if (!buffer) {
        buffer = this.#pool.take(pieceSize(this.info, index));
        this.#buffers.set(index, buffer);
      }
      buffer.set(block, begin);
      for (const id of outcome.cancelAt) {
        this.peers.get(id)?.send({ type: "cancel", index, begin, length: block.length });
      }
      if (outcome.pieceComplete) {
        this.#buffers.delete(index);
        this.#commit(index, buffer).catch((error) => this.events.onError(error));
      }
    }
    this.fill(peer);
  }

  async #commit(index: number, buffer: Uint8Array): Promise<void> {
    try {
      if (!(await this.writer.commit(index, buffer))) {
        this.events.onFailed(index, this.#picker.pieceFailed(index));
        this.fillAll();
        return;
      }
      const from = this.#picker.contributorsOf(index);
      // Synchronous from here on: the session sets the bit before anything deals again.
      this.#picker.pieceVerified(index);
      this.events.onVerified(index, from);
    } finally {
      this.#pool.give(buffer);
    }
  }

  /** Peers that delivered nothing for {@link STALL_TIMEOUT_MS} give their work back. */
  checkStalls(now: number): void {
    for (const peer of this.peers.values()) {
      if (this.#picker.outstanding(peer.id) > 0 && now - peer.lastBlockAt > STALL_TIMEOUT_MS) {
        peer.stalled = true;
        this.#picker.release(peer.id);
        this.events.log(`${peer.address} stalled; its pieces go to other peers`);
      }
    }
    this.fillAll();
  }
}
