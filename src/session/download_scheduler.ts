import { createHash } from "node:crypto";
import { pieceSize, type TorrentInfo } from "../metainfo/mod.ts";
import { type Bitfield, BLOCK_SIZE, type BlockRange } from "../wire/mod.ts";
import { BufferPool } from "./buffer_pool.ts";
import { rememberAllowedFast, unaskedReject } from "./fast.ts";
import type { Peer } from "./peer.ts";
import { type Contributor, DEFAULT_PIPELINE_DEPTH, PiecePicker, type PieceSet } from "./picker.ts";
import type { PieceWriter } from "./piece_writer.ts";

/** A peer that delivers nothing it was asked for this long gives its work back. */
export const STALL_TIMEOUT_MS = 15_000;
/** Blocks nobody asked a peer for that it may send before it is dropped. */
export const MAX_UNREQUESTED_BLOCKS = 16;
/**
 * Seconds of a peer's recent rate kept asked of it: longer than a round
 * trip, so the pipe never runs dry, and short, so that a slow peer does not
 * hold pieces that faster peers could send (libtorrent keeps 3 s). A seed
 * sending 100 KiB/s to each of ten downloaders held 128 requests (2 MiB)
 * of each: twenty seconds of its upload stood between them and the pieces
 * they could have traded.
 */
export const PIPELINE_SECONDS = 2;
/**
 * Requests in flight to a peer whose rate is not known yet (it rises with
 * the rate: on loopback it reaches the full depth within milliseconds).
 */
export const MIN_PIPELINE_DEPTH = 4;

/** What the scheduler tells its session. */
export interface SchedulerEvents {
  /** A piece matched its hash and was written: the session sets its bit at once, then says have. */
  onVerified(index: number, from: Contributor[]): void;
  /**
   * A piece failed its hash and was discarded. `culprits` are its senders
   * when there was one; when several peers sent its blocks nobody is blamed
   * yet: it is fetched again from one peer, and {@link onBlamed} names who
   * sent blocks that differ from the good copy.
   */
  onFailed(index: number, culprits: Contributor[]): void;
  /** A piece that failed with several senders verified later: these sent wrong blocks of it. */
  onBlamed(index: number, culprits: Contributor[]): void;
  /** Writing failed (disk full, ...): the session cannot go on. */
  onError(error: unknown): void;
  /** One line for people. */
  log(line: string): void;
}

/**
 * The download side of a session: deals pieces to peers through the picker,
 * keeps each unchoked peer's pipeline full, assembles arriving blocks into
 * piece buffers, hands complete pieces to the piece writer, and takes work
 * back from peers that choke, stall, leave or reject (BEP 6). While a peer
 * chokes us it is asked only for the pieces it allowed us (BEP 6 allowed
 * fast). It reads the session's verified bitfield and never writes it.
 */
export class DownloadScheduler {
  readonly #picker: PiecePicker;
  readonly #buffers = new Map<number, Uint8Array>();
  /** Piece buffers reused across downloaded pieces: a gigabyte through the same few megabytes. */
  readonly #pool = new BufferPool();
  /** Failed pieces with several senders: who sent each block, and that block's SHA-1. */
  readonly #disputed = new Map<number, { sender: Contributor; digest: string }[]>();

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
    /** The pieces to download (see {@link PiecePicker.wanted}). */
    readonly wanted?: Bitfield,
    /** Random numbers in [0, 1): which of the equally rare pieces is dealt. */
    random?: () => number,
  ) {
    this.#picker = new PiecePicker(info, have, DEFAULT_PIPELINE_DEPTH, firstPiece, wanted, random);
  }

  /** A reader waits at piece `index`: it and the pieces after it are dealt first. */
  focus(index: number): void {
    const cancels = this.#picker.focus(index, (id) => this.peers.get(id)?.fast === true);
    for (const { peer, request } of cancels) {
      this.peers.get(peer)?.send({ type: "cancel", ...request });
    }
    if (cancels.length > 0) {
      this.events.log(`a reader jumped to piece ${index}: ${cancels.length} requests taken back`);
    }
    this.fillAll();
  }

  /** The session changed which pieces it wants: dealing starts over from the first. */
  wantedChanged(): void {
    this.#picker.wantedChanged();
    this.fillAll();
  }

  /** A new peer joins the rotation; its bitfield is set and its pieces count as available. */
  addPeer(peer: Peer): void {
    this.#picker.addPeer(peer.id, peer);
    this.#picker.availability.setPeer(peer.id, peer.have!);
  }

  /** The peer says it has piece `index`: call before setting it in the peer's bitfield. */
  peerHas(peer: Peer, index: number): void {
    this.#picker.availability.gained(peer.id, index);
  }

  /** The peer sent a whole new bitfield (after joining): it replaces what it counted for. */
  peerBitfield(peer: Peer, have: Bitfield): void {
    this.#picker.availability.setPeer(peer.id, have);
  }

  /** A peer left: its work goes back to the pool and to the others. */
  removePeer(peer: Peer): void {
    this.#picker.removePeer(peer.id);
    this.fillAll();
  }

  /**
   * The peer choked us: its dealt pieces and unanswered requests go back, to
   * the others at once. A peer that speaks Fast rejects what it will not
   * serve (BEP 6: a choke no longer drops requests) and may still serve the
   * pieces it allowed us, so those requests stay with it; the rest goes back
   * now rather than when its rejects arrive, so that a peer that never sends
   * them delays nobody. Blocks and rejects that come later for requests given
   * back are excused (see the picker), so answering late costs a peer nothing;
   * the stall check covers a peer that answers none of what it kept.
   */
  choked(peer: Peer): void {
    this.#picker.release(peer.id, (index) => peer.allowedFastByPeer.has(index));
    this.fillAll();
  }

  /**
   * The peer rejected a request (BEP 6). A block we asked of it goes back to
   * the pool and to the other peers at once; a piece it allowed us while
   * choking that it now refuses is not asked of it again. Rejects of blocks
   * it was never asked for are held against it, like unasked blocks.
   */
  rejected(peer: Peer, request: BlockRange): void {
    const outcome = this.#picker.rejected(peer.id, request.index, request.begin, request.length);
    if (outcome === "unasked") return unaskedReject(peer);
    if (outcome === "given back") {
      if (peer.peerChoking) peer.allowedFastByPeer.delete(request.index);
      this.fillAll();
    } else {
      // It may answer a cancel: the block can be asked of it again.
      this.fill(peer);
    }
  }

  /**
   * The peer allows us a piece while it chokes us (BEP 6): kept if we lack
   * it (within a bound), and asked for at once if the peer chokes us now.
   */
  allowedFast(peer: Peer, index: number): void {
    if (this.have.has(index) || !rememberAllowedFast(peer, index)) return;
    if (peer.peerChoking) this.fill(peer);
  }

  /**
   * Requests to keep in flight to a peer: {@link PIPELINE_SECONDS} of its
   * recent rate, at least {@link MIN_PIPELINE_DEPTH}, within the queue it
   * says it keeps (`reqq`); the picker caps it at its full depth.
   */
  #pipelineDepth(peer: Peer): number {
    const byRate = Math.ceil(peer.connection.downloaded.rate() * PIPELINE_SECONDS / BLOCK_SIZE);
    const depth = Math.max(MIN_PIPELINE_DEPTH, byRate);
    return Math.min(depth, peer.extensions.maxQueuedRequests ?? Infinity);
  }

  #haves = (id: number): PieceSet | undefined => {
    const peer = this.peers.get(id);
    if (!peer || peer.closed || peer.stalled || !peer.have) return undefined;
    if (!peer.peerChoking) return peer.have;
    if (peer.allowedFastByPeer.size === 0) return undefined;
    const { have, allowedFastByPeer } = peer;
    return { has: (index) => allowedFastByPeer.has(index) && have.has(index) };
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
    if (this.have.complete || peer.closed || !peer.amInterested) return;
    if (peer.peerChoking && peer.allowedFastByPeer.size === 0) return;
    // Backpressure: a disk slower than the network must not fill memory with pieces.
    if (this.writer.backlogged) return;
    const idle = this.#picker.outstanding(peer.id) === 0;
    this.#picker.limitPipeline(peer.id, this.#pipelineDepth(peer));
    const { requests, cancels } = this.#picker.requestsFor(
      peer.id,
      this.#haves,
      this.#slowerThanASecond,
    );
    for (const { peer: other, request } of cancels) {
      this.peers.get(other)?.send({ type: "cancel", ...request });
    }
    if (requests.length > 0) peer.connection.downloaded.begin();
    for (const request of requests) peer.send({ type: "request", ...request });
    // A peer asked nothing for a while (it choked us, or we had nothing to ask) has
    // its stall timeout from now, not from its last block long ago.
    if (idle && requests.length > 0) peer.lastBlockAt = peer.connection.clock.now();
  }

  /** Fills every peer's pipeline. */
  fillAll(): void {
    for (const peer of this.peers.values()) this.fill(peer);
  }

  /** A block arrived; its bytes are a view valid only during this call. */
  received(peer: Peer, index: number, begin: number, block: Uint8Array, now: number): void {
    peer.connection.downloaded.add(block.length);
    peer.lastBlockAt = peer.lastDataAt = now;
    peer.stalled = false;
    const outcome = this.#picker.received(peer.id, index, begin, block.length);
    if (outcome.unrequested && ++peer.unrequestedBlocks > MAX_UNREQUESTED_BLOCKS) {
      peer.close(`sent ${peer.unrequestedBlocks} blocks nobody asked it for`);
      return;
    }
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
        this.#failed(index, buffer);
        this.fillAll();
        return;
      }
      const from = this.#picker.contributorsOf(index);
      const disputed = this.#disputed.get(index);
      // Synchronous from here on: the session sets the bit before anything deals again.
      this.#picker.pieceVerified(index);
      for (const peer of this.peers.values()) peer.allowedFastByPeer.delete(index);
      this.events.onVerified(index, from);
      if (disputed) {
        this.#disputed.delete(index);
        const good = blockDigests(buffer);
        const liars = disputed.filter(({ digest }, block) => digest !== good[block]);
        this.events.onBlamed(index, [...new Set(liars.map(({ sender }) => sender))]);
      }
    } finally {
      this.#pool.give(buffer);
    }
  }

  /**
   * A piece failed its hash. With one sender, that sender is to blame. With
   * several, anyone of them may have lied (or someone may have sent blocks
   * to frame the others): the blocks' digests are kept, the piece is fetched
   * again from one peer, and the good copy tells who sent wrong blocks (as
   * libtorrent's smart ban does).
   */
  #failed(index: number, buffer: Uint8Array): void {
    const senders = this.#picker.pieceFailed(index);
    const identities = new Set(senders.map((sender) => sender.identity));
    if (identities.size <= 1) {
      this.#disputed.delete(index);
      this.events.onFailed(index, senders.slice(0, 1));
      return;
    }
    const digests = blockDigests(buffer);
    this.#disputed.set(index, senders.map((sender, block) => ({ sender, digest: digests[block] })));
    this.#picker.fetchFromOnePeer(index);
    this.events.onFailed(index, []);
  }

  /**
   * Peers that delivered nothing for {@link STALL_TIMEOUT_MS} give their work
   * back; pieces peers rejected may be asked of them again.
   */
  checkStalls(now: number): void {
    this.#picker.forgetRefusals();
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

/** SHA-1 of each 16 KiB block of a piece, as hex. */
function blockDigests(piece: Uint8Array): string[] {
  const digests: string[] = [];
  for (let begin = 0; begin < piece.length; begin += BLOCK_SIZE) {
    digests.push(
      createHash("sha1").update(piece.subarray(begin, begin + BLOCK_SIZE)).digest("hex"),
    );
  }
  return digests;
}
