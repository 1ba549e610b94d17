import { pieceSize, type TorrentGeometry } from "../metainfo/mod.ts";
import { Bitfield, BLOCK_SIZE } from "../wire/mod.ts";
import { PieceAvailability } from "./availability.ts";

/**
 * Blocks in flight per peer at most (its rate sets it below, see the
 * scheduler's PIPELINE_SECONDS): 128 × 16 KiB = 2 MiB. Clients use 16 to 250+;
 * on loopback from three libtorrent seeds (1 GiB, 1 MiB pieces) 64 took
 * 5.3 s, 96 to 192 took 3.3 to 3.5 s, 256 no better.
 */
export const DEFAULT_PIPELINE_DEPTH = 128;
/**
 * Pieces dealt ahead to each peer, at least: two keeps a peer busy while its
 * current piece finishes; small pieces get more, enough to fill the
 * pipeline. More would strand pieces on a slow peer.
 */
export const MIN_DEALT_PIECES = 2;
/**
 * Pieces from a reader's position whose requests stay where they are when
 * it jumps (at least two per peer): the ones it reads next.
 */
export const FOCUS_AHEAD = 4;
/**
 * Undealt pieces a peer has that a deal compares, from the dealing order's
 * front: the rarest of them is dealt. A window, not the whole torrent, so a
 * deal costs the same in a torrent of 100,000 pieces.
 */
export const RAREST_WINDOW = 128;
/**
 * Equally rare pieces a deal picks among at most: enough to spread a crowd
 * over different pieces, while a deal among seeds (every piece as rare)
 * compares this many, not the whole window. Picking 65,536 pieces from
 * three seeds took 2.2 to 2.8 s with the whole window of ties, 0.96 to
 * 1.05 s with eight, and 0.93 to 1.03 s dealing in piece order.
 */
export const RAREST_TIES = 8;
/** In endgame, how many peers may be asked for the same block. */
export const ENDGAME_REQUESTERS = 2;
/**
 * In endgame a peer duplicates others' blocks only while it has fewer than
 * this many requests of its own in flight: idle peers help finish, busy
 * ones do not double the tail.
 */
export const ENDGAME_PIPELINE = 4;

/** One block request. */
export interface BlockRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/**
 * The pieces a peer can be asked for: its bitfield, or while it chokes us
 * the part of it the peer allowed us anyway (BEP 6 allowed fast).
 */
export type PieceSet = Pick<Bitfield, "has">;

/**
 * What became of a reject (BEP 6) from a peer: the block was asked of it
 * and goes back to the pool; or it was asked and then taken back (its
 * reject crossed our cancel, or came after a choke gave it back); or it was
 * never asked of that peer.
 */
export type RejectOutcome = "given back" | "excused" | "unasked";

/** What to send after a decision: requests to the asking peer, cancels to others. */
export interface RequestPlan {
  readonly requests: BlockRequest[];
  /** Blocks moved away from a busy peer: cancel them there. */
  readonly cancels: { readonly peer: number; readonly request: BlockRequest }[];
}

/** Who sent a block, as kept on the piece until its hash check: it may have left by then. */
export interface Contributor {
  /** The key strikes and bans are kept under (see the session's peer identity). */
  readonly identity: string;
  /** `ip:port` as people read it. */
  readonly address: string;
}

/** What became of a received block. */
export interface BlockOutcome {
  /** False for a block nobody needs any more (a duplicate, or unasked). */
  readonly accepted: boolean;
  /**
   * True for a block this peer was never asked for (and not one whose
   * request we took back, which may cross a cancel on the wire): dropped,
   * and held against the sender. The piece hash does not judge such
   * blocks: a flood of them would get the honest senders of the same
   * pieces struck.
   */
  readonly unrequested: boolean;
  /** Other peers that were asked for the same block (endgame): cancel it there. */
  readonly cancelAt: number[];
  /** Every block of the piece is in: hash it. */
  readonly pieceComplete: boolean;
}

interface PieceProgress {
  readonly index: number;
  readonly blockCount: number;
  readonly received: Uint8Array;
  receivedCount: number;
  /** Per block, the peers asked for it and not yet answered. */
  readonly requesters: number[][];
  /** The peer this piece is dealt to, if any. */
  owner: number | undefined;
  /** Per block, who sent it, recorded as it arrives: the suspects if the piece fails its hash. */
  readonly senders: (Contributor | undefined)[];
}

/**
 * Which blocks to ask which peer for.
 *
 * Inputs of every decision: the verified pieces, the pieces each peer has
 * (passed in on each call), the pieces dealt to each peer, the blocks each
 * peer has been asked for and not delivered, and the rotation of peers.
 *
 * Strategy, after the report's round-robin, made work-conserving:
 * - Dealing: when a peer runs short of work, a dealing round walks the
 *   rotation from where the last round stopped and gives each peer that
 *   holds too few dealt pieces (two, or enough to fill its pipeline when
 *   pieces are small) an undealt piece it has: a piece already partly
 *   received, else one of those fewest connected peers have (at random,
 *   of the first {@link RAREST_TIES}) among the next {@link RAREST_WINDOW}
 *   in piece order from a random
 *   starting piece (wrapping around). So pieces go out in turn among the peers that have
 *   them, a fast peer, which runs short more often, simply gets more turns,
 *   and a crowd asks its one seed for pieces none of them has yet. Once a
 *   reader focuses the picker (a stream), pieces go in piece order.
 * - Pipelining: a peer is asked for the unrequested blocks of its dealt
 *   pieces, up to the pipeline depth.
 * - Giving back: a peer that chokes us, stalls or leaves gives its dealt
 *   pieces and unanswered requests back to the pool (blocks already
 *   received are kept), and they are dealt again. A peer that rejects a
 *   block (BEP 6) gives back its claim on that piece, and is not dealt it
 *   again until its refusals are forgotten: another peer gets it first.
 * - Endgame: once nothing is left to deal, a peer that is nearly idle (under
 *   four requests in flight) takes over the most recently asked half of the
 *   busiest peer's blocks (cancelled there); when there is nothing to take
 *   over, it is asked for blocks still outstanding elsewhere (at most two
 *   askers per block), the first copy wins and the others are cancelled.
 *
 * Replaceable: the session talks to the picker only through this class.
 */
export class PiecePicker {
  readonly #progress = new Map<number, PieceProgress>();
  readonly #dealt = new Map<number, number[]>();
  readonly #outstanding = new Map<number, Set<number>>();
  readonly #pipelineLimits = new Map<number, number>();
  readonly #contributors = new Map<number, Contributor>();
  /**
   * Per peer, blocks we asked for and then took back (cancelled, moved to
   * another peer, released): that many blocks may still arrive unasked.
   */
  readonly #excused = new Map<number, number>();
  /**
   * Pieces that failed with blocks from several peers: fetched again whole
   * from one peer (no endgame sharing), so the good copy tells who lied.
   */
  readonly #singleSource = new Set<number>();
  /**
   * Per peer, blocks a reader's jump cancelled there whose answer (the
   * block or, from a Fast peer, its reject) has not come: not asked of that
   * peer again until it has, or its answer to the old request would be
   * taken for an answer to the new one.
   */
  readonly #cancelled = new Map<number, Set<number>>();
  /** Per peer, pieces it rejected a block of: asked of others first (see {@link rejected}). */
  readonly #refused = new Map<number, Set<number>>();
  readonly #rotation: number[] = [];
  #turn = 0;
  #dealCursor = 0;
  /** Where the dealing order starts: the first piece, until a reader moves it ({@link focus}). */
  #start: number;
  readonly #blocksPerPiece: number;
  /** Set by a reader's {@link focus}: pieces are dealt in order, not rarest first. */
  #sequential = false;
  /** Connected peers' pieces, counted: the session keeps it up to date. */
  readonly availability: PieceAvailability;

  /**
   * @example
   * ```ts
   * const picker = new PiecePicker(torrent, verified);
   * ```
   */
  constructor(
    readonly geometry: TorrentGeometry,
    readonly verified: Bitfield,
    readonly pipelineDepth: number = DEFAULT_PIPELINE_DEPTH,
    /**
     * Where dealing starts (it wraps around): a random start spreads a crowd
     * of downloaders over different pieces, so they have pieces to trade
     * instead of all asking the seed for the same ones.
     */
    firstPiece: number = 0,
    /**
     * The pieces to download (the selected files' pieces; the session owns
     * it and may change it, then calls {@link wantedChanged}); all of them
     * by default.
     */
    readonly wanted: Bitfield = Bitfield.full(geometry.pieceCount),
    /** Random numbers in [0, 1): which of the equally rare pieces is dealt. */
    readonly random: () => number = Math.random,
  ) {
    this.#start = firstPiece;
    this.#blocksPerPiece = Math.ceil(geometry.pieceLength / BLOCK_SIZE);
    this.availability = new PieceAvailability(geometry.pieceCount);
  }

  /** Blocks of a piece. */
  #blockCount(index: number): number {
    return Math.ceil(pieceSize(this.geometry, index) / BLOCK_SIZE);
  }

  #blockKey(index: number, block: number): number {
    return index * 65536 + block;
  }

  /** Adds a peer to the rotation; its blocks are credited to `contributor`. */
  addPeer(id: number, contributor: Contributor): void {
    if (this.#dealt.has(id)) return;
    this.#contributors.set(id, contributor);
    this.#dealt.set(id, []);
    this.#outstanding.set(id, new Set());
    this.#rotation.push(id);
  }

  /**
   * Keeps a peer's pipeline at `depth` requests at most (never more than
   * {@link pipelineDepth}): what its rate earns, or the queue it says it
   * keeps for us (BEP 10 `reqq`). Its dealt pieces follow: no more than its
   * pipeline holds, so a slow peer does not sit on pieces others could send.
   */
  limitPipeline(id: number, depth: number): void {
    this.#pipelineLimits.set(id, depth);
  }

  #depthOf(id: number): number {
    return Math.min(this.pipelineDepth, this.#pipelineLimits.get(id) ?? Infinity);
  }

  /** Removes a peer, giving its work back. */
  removePeer(id: number): void {
    this.release(id);
    this.#dealt.delete(id);
    this.#outstanding.delete(id);
    this.#pipelineLimits.delete(id);
    this.availability.removePeer(id);
    this.#contributors.delete(id);
    this.#excused.delete(id);
    this.#refused.delete(id);
    this.#cancelled.delete(id);
    const position = this.#rotation.indexOf(id);
    if (position >= 0) {
      this.#rotation.splice(position, 1);
      if (this.#turn > position) this.#turn--;
    }
  }

  /**
   * Gives back a peer's dealt pieces and unanswered requests (it choked us
   * or stalled), except those of pieces `keep` names: a peer that chokes us
   * may still serve the pieces it allowed us (BEP 6 allowed fast).
   */
  release(id: number, keep: (index: number) => boolean = () => false): void {
    const outstanding = this.#outstanding.get(id);
    for (const key of outstanding ?? []) {
      const index = Math.floor(key / 65536);
      if (keep(index)) continue;
      outstanding!.delete(key);
      this.#excuse(id, 1);
      const requesters = this.#progress.get(index)?.requesters[key % 65536];
      if (requesters) removeFrom(requesters, id);
    }
    const dealt = this.#dealt.get(id) ?? [];
    for (const index of dealt.filter((index) => !keep(index))) {
      removeFrom(dealt, index);
      this.#undeal(index);
    }
    this.#refused.delete(id);
  }

  /**
   * Records a reject (BEP 6) from peer `id`. A block that was asked of it
   * goes back to the pool with the rest of the peer's claim on its piece
   * (the piece is undealt, its other requests there taken back), and the
   * piece is asked of other peers before this one again: a peer that cannot
   * serve a piece now must not be asked for it in a loop, nor hold it.
   *
   * @example
   * ```ts
   * if (picker.rejected(peer.id, index, begin, length) === "unasked") strike(peer);
   * ```
   */
  rejected(id: number, index: number, begin: number, length: number): RejectOutcome {
    const block = begin / BLOCK_SIZE;
    this.#answered(id, index, block);
    const expectedLength = Math.min(BLOCK_SIZE, pieceSize(this.geometry, index) - begin);
    const outstanding = this.#outstanding.get(id);
    if (
      !outstanding || !Number.isInteger(block) || length !== expectedLength ||
      !outstanding.has(this.#blockKey(index, block))
    ) {
      const excused = this.#excused.get(id) ?? 0;
      if (excused === 0) return "unasked";
      this.#excused.set(id, excused - 1);
      return "excused";
    }
    outstanding.delete(this.#blockKey(index, block));
    const progress = this.#progress.get(index);
    if (progress) {
      removeFrom(progress.requesters[block], id);
      for (let other = 0; other < progress.blockCount; other++) {
        if (other === block || !outstanding.delete(this.#blockKey(index, other))) continue;
        // Taken back: it may still come, or be rejected too.
        this.#excuse(id, 1);
        removeFrom(progress.requesters[other], id);
      }
      if (progress.owner === id) {
        removeFrom(this.#dealt.get(id)!, index);
        this.#undeal(index);
      }
    }
    let refused = this.#refused.get(id);
    if (!refused) this.#refused.set(id, refused = new Set());
    refused.add(index);
    return "given back";
  }

  /**
   * Every peer may be asked again for the pieces it rejected: a piece that
   * only the rejecting peer has is not stranded, and a peer that always
   * rejects costs a round trip per call.
   */
  forgetRefusals(): void {
    this.#refused.clear();
  }

  /** Requests sent to a peer and not yet answered. */
  outstanding(id: number): number {
    return this.#outstanding.get(id)?.size ?? 0;
  }

  /** True once nothing is left to deal: the last blocks may be asked of several peers. */
  get endgame(): boolean {
    return !this.#anyUndealt();
  }

  /** True while a block cancelled at the peer by a jump awaits its answer there. */
  #awaitsAnswer(id: number, index: number, block: number): boolean {
    return this.#cancelled.get(id)?.has(this.#blockKey(index, block)) ?? false;
  }

  /** The peer answered (sent or rejected) a block: a cancelled one may be asked of it again. */
  #answered(id: number, index: number, block: number): void {
    const pending = this.#cancelled.get(id);
    if (!pending || !Number.isInteger(block)) return;
    pending.delete(this.#blockKey(index, block));
    if (pending.size === 0) this.#cancelled.delete(id);
  }

  #excuse(id: number, blocks: number): void {
    if (blocks > 0) this.#excused.set(id, (this.#excused.get(id) ?? 0) + blocks);
  }

  #undeal(index: number): void {
    const progress = this.#progress.get(index);
    if (progress) progress.owner = undefined;
    if (progress && this.#singleSource.has(index)) {
      // Its next owner fetches it whole: one sender, so its hash judges that one.
      progress.received.fill(0);
      progress.receivedCount = 0;
      progress.senders.fill(undefined);
    }
    this.#dealCursor = Math.min(this.#dealCursor, this.#position(index));
  }

  /** Where a piece comes in the dealing order. */
  #position(index: number): number {
    const count = this.geometry.pieceCount;
    return (index - this.#start + count) % count;
  }

  /** The piece at a position of the dealing order. */
  #pieceAt(position: number): number {
    return (this.#start + position) % this.geometry.pieceCount;
  }

  /**
   * A reader waits at piece `index` (a stream): dealing goes on in piece
   * order from there, wrapping around, so the pieces it reads next come
   * first and the peers' round-robin keeps ahead of it. A jump (a seek, or
   * a reader that passed the pieces dealt) takes back every request but
   * those of the next few pieces: a peer serves requests in order, and the
   * piece must not wait behind a full pipeline of others.
   *
   * @returns the requests taken back: cancel them at their peers.
   */
  focus(
    index: number,
    /** Whether a peer answers a cancel (a Fast peer rejects the block, BEP 6). */
    answersCancels: (peer: number) => boolean = () => false,
  ): RequestPlan["cancels"] {
    const cancels: { peer: number; request: BlockRequest }[] = [];
    const ahead = Math.max(FOCUS_AHEAD, MIN_DEALT_PIECES * this.#rotation.length);
    const jumped = this.#position(index) >= ahead;
    this.#start = index;
    this.#dealCursor = 0;
    this.#sequential = true;
    if (!jumped || this.verified.has(index)) return cancels;
    const near = (piece: number) => this.#position(piece) < ahead;
    for (const [peer, outstanding] of this.#outstanding) {
      const pending = answersCancels(peer) ? this.#cancelled.get(peer) ?? new Set() : undefined;
      if (pending) this.#cancelled.set(peer, pending);
      for (const key of outstanding) {
        const piece = Math.floor(key / 65536);
        if (near(piece)) continue;
        pending?.add(key);
        const begin = (key % 65536) * BLOCK_SIZE;
        const length = Math.min(BLOCK_SIZE, pieceSize(this.geometry, piece) - begin);
        cancels.push({ peer, request: { index: piece, begin, length } });
      }
      this.release(peer, near);
    }
    return cancels;
  }

  /** The wanted pieces changed: dealing looks at every piece again. */
  wantedChanged(): void {
    this.#dealCursor = 0;
  }

  #isUndealt(index: number): boolean {
    if (this.verified.has(index) || !this.wanted.has(index)) return false;
    const progress = this.#progress.get(index);
    return !progress ||
      (progress.owner === undefined && progress.receivedCount < progress.blockCount);
  }

  /** Moves the dealing cursor past the dealt and verified pieces at its front. */
  #advanceCursor(): void {
    const count = this.geometry.pieceCount;
    while (this.#dealCursor < count && !this.#isUndealt(this.#pieceAt(this.#dealCursor))) {
      this.#dealCursor++;
    }
  }

  /** True while some wanted piece is neither verified nor dealt. */
  #anyUndealt(): boolean {
    this.#advanceCursor();
    return this.#dealCursor < this.geometry.pieceCount;
  }

  /**
   * The undealt piece to deal a peer that has `have`: see the dealing
   * strategy on the class.
   */
  #pickUndealt(have: PieceSet): number | undefined {
    const count = this.geometry.pieceCount;
    let rarest: number | undefined;
    let rarestCount = Infinity;
    let ties = 0;
    let compared = 0;
    this.#advanceCursor();
    for (let position = this.#dealCursor; position < count; position++) {
      const index = this.#pieceAt(position);
      if (!this.#isUndealt(index) || !have.has(index)) continue;
      if (this.#sequential || (this.#progress.get(index)?.receivedCount ?? 0) > 0) return index;
      const peers = this.availability.of(index);
      if (peers < rarestCount) {
        rarest = index;
        rarestCount = peers;
        ties = 1;
      } else if (peers === rarestCount && Math.floor(this.random() * ++ties) === ties - 1) {
        // One of the equally rare at random: downloaders asking the same seed
        // at once, each unaware of what the others asked, mostly ask for
        // different pieces.
        rarest = index;
      }
      if (++compared === RAREST_WINDOW || ties === RAREST_TIES) break;
    }
    return rarest;
  }

  #deal(id: number, index: number): void {
    let progress = this.#progress.get(index);
    if (!progress) {
      const blockCount = this.#blockCount(index);
      progress = {
        index,
        blockCount,
        received: new Uint8Array(blockCount),
        receivedCount: 0,
        requesters: Array.from({ length: blockCount }, () => []),
        owner: undefined,
        senders: new Array(blockCount).fill(undefined),
      };
      this.#progress.set(index, progress);
    }
    progress.owner = id;
    this.#dealt.get(id)!.push(index);
  }

  /**
   * Pieces a peer may hold dealt: enough for its pipeline, but no more than
   * its fair share of what is missing among all connected peers (even those
   * still choking us: they usually unchoke within moments), so the first
   * peer to unchoke does not take the whole of a small torrent.
   */
  #dealLimit(id: number): number {
    // At most this many: the count of wanted pieces not verified is not kept.
    const missing = Math.min(this.geometry.pieceCount - this.verified.count, this.wanted.count);
    const fairShare = Math.ceil(missing / Math.max(1, this.#rotation.length));
    const forPipeline = Math.ceil(this.#depthOf(id) / this.#blocksPerPiece) + 1;
    return Math.max(MIN_DEALT_PIECES, Math.min(forPipeline, fairShare));
  }

  /** One dealing round: each hungry peer, in turn, gets the lowest undealt piece it has. */
  #dealingRound(haves: (id: number) => PieceSet | undefined): boolean {
    let dealtAny = false;
    const count = this.#rotation.length;
    for (let step = 0; step < count; step++) {
      const id = this.#rotation[(this.#turn + step) % count];
      const have = haves(id);
      if (!have || this.#dealt.get(id)!.length >= this.#dealLimit(id)) continue;
      const index = this.#pickUndealt(have);
      if (index === undefined) continue;
      this.#deal(id, index);
      dealtAny = true;
    }
    this.#turn = count === 0 ? 0 : (this.#turn + 1) % count;
    return dealtAny;
  }

  #ask(id: number, progress: PieceProgress, block: number, into: BlockRequest[]): void {
    progress.requesters[block].push(id);
    this.#outstanding.get(id)!.add(this.#blockKey(progress.index, block));
    const begin = block * BLOCK_SIZE;
    const length = Math.min(BLOCK_SIZE, pieceSize(this.geometry, progress.index) - begin);
    into.push({ index: progress.index, begin, length });
  }

  /**
   * The next blocks to ask peer `id` for, filling its pipeline, and any
   * blocks to cancel at other peers because they move to `id`. `haves` gives
   * the pieces each peer can be asked for (undefined for peers that cannot
   * be asked now): dealing rounds serve every hungry peer, not only `id`.
   *
   * @example
   * ```ts
   * const { requests, cancels } = picker.requestsFor(peer.id, (id) => askable(id));
   * ```
   */
  requestsFor(
    id: number,
    peerHaves: (id: number) => PieceSet | undefined,
    /**
     * Whether blocks may be taken over from a busy peer; the session says no
     * for a peer that will deliver them within moments anyway (taking them
     * would only fetch them twice).
     */
    mayTakeFrom: (victim: number) => boolean = () => true,
  ): RequestPlan {
    // Pieces a peer rejected lately are not asked of it while others can be asked.
    const haves = (peer: number): PieceSet | undefined => {
      const have = peerHaves(peer);
      const refused = this.#refused.get(peer);
      return have && refused ? { has: (index) => have.has(index) && !refused.has(index) } : have;
    };
    const have = haves(id);
    const plan: RequestPlan = { requests: [], cancels: [] };
    const requests = plan.requests;
    if (!have || !this.#dealt.has(id)) return plan;
    const room = this.#depthOf(id) - this.outstanding(id);
    while (room > requests.length) {
      for (const index of this.#dealt.get(id)!) {
        const progress = this.#progress.get(index)!;
        for (let block = 0; block < progress.blockCount && room > requests.length; block++) {
          if (
            progress.received[block] === 0 && progress.requesters[block].length === 0 &&
            !this.#awaitsAnswer(id, index, block)
          ) {
            this.#ask(id, progress, block, requests);
          }
        }
      }
      if (room <= requests.length) break;
      if (this.#dealt.get(id)!.length < this.#dealLimit(id) && this.#dealingRound(haves)) {
        continue;
      }
      if (!this.#anyUndealt() && this.outstanding(id) < ENDGAME_PIPELINE) {
        if (!this.#steal(id, have, room, plan, mayTakeFrom)) {
          const idleSlots = ENDGAME_PIPELINE - this.outstanding(id);
          this.#duplicate(
            id,
            have,
            Math.min(room, requests.length + idleSlots),
            requests,
            mayTakeFrom,
          );
        }
      }
      break;
    }
    return plan;
  }

  /**
   * Moves the most recently asked half of the busiest peer's blocks to an
   * idle peer: they are cancelled there (a peer that has not sent them yet
   * drops them) and asked here.
   */
  #steal(
    id: number,
    have: PieceSet,
    room: number,
    plan: RequestPlan,
    mayTakeFrom: (victim: number) => boolean,
  ): boolean {
    let victim: number | undefined;
    for (const [other, blocks] of this.#outstanding) {
      if (other === id || blocks.size < 2 * ENDGAME_PIPELINE || !mayTakeFrom(other)) continue;
      if (victim === undefined || blocks.size > this.#outstanding.get(victim)!.size) victim = other;
    }
    if (victim === undefined) return false;
    const theirs = [...this.#outstanding.get(victim)!];
    const take = Math.min(room - plan.requests.length, Math.floor(theirs.length / 2));
    let taken = 0;
    for (let i = theirs.length - 1; i >= 0 && taken < take; i--) {
      const key = theirs[i];
      const index = Math.floor(key / 65536);
      const block = key % 65536;
      const progress = this.#progress.get(index);
      if (
        !progress || !have.has(index) || progress.requesters[block].length !== 1 ||
        this.#singleSource.has(index)
      ) continue;
      progress.requesters[block] = [];
      this.#outstanding.get(victim)!.delete(key);
      this.#excuse(victim, 1);
      const before = plan.requests.length;
      this.#ask(id, progress, block, plan.requests);
      plan.cancels.push({ peer: victim, request: plan.requests[before] });
      taken++;
    }
    return taken > 0;
  }

  #duplicate(
    id: number,
    have: PieceSet,
    room: number,
    into: BlockRequest[],
    slow: (peer: number) => boolean,
  ): void {
    for (const progress of this.#progress.values()) {
      if (!have.has(progress.index) || this.#singleSource.has(progress.index)) continue;
      for (let block = 0; block < progress.blockCount && room > into.length; block++) {
        const requesters = progress.requesters[block];
        if (
          progress.received[block] === 0 && requesters.length < ENDGAME_REQUESTERS &&
          !requesters.includes(id) && requesters.every(slow) &&
          !this.#awaitsAnswer(id, progress.index, block)
        ) {
          this.#ask(id, progress, block, into);
        }
      }
      if (room <= into.length) return;
    }
  }

  /**
   * Records a block from peer `id`.
   *
   * @example
   * ```ts
   * const { accepted, cancelAt, pieceComplete } = picker.received(peer.id, index, begin, length);
   * ```
   */
  received(id: number, index: number, begin: number, length: number): BlockOutcome {
    const progress = this.#progress.get(index);
    const block = begin / BLOCK_SIZE;
    const expectedLength = Math.min(BLOCK_SIZE, pieceSize(this.geometry, index) - begin);
    if (!Number.isInteger(block) || length !== expectedLength) {
      // No block we ask for has that offset or size.
      return { accepted: false, unrequested: true, cancelAt: [], pieceComplete: false };
    }
    const key = this.#blockKey(index, block);
    this.#answered(id, index, block);
    const asked = this.#outstanding.get(id)?.delete(key) ?? false;
    if (!asked) {
      // Not (or no longer) asked of this peer: a late copy of a block we took back, or a lie.
      const excused = this.#excused.get(id) ?? 0;
      if (excused > 0) this.#excused.set(id, excused - 1);
      return { accepted: false, unrequested: excused === 0, cancelAt: [], pieceComplete: false };
    }
    if (!progress || progress.received[block] === 1) {
      if (progress) removeFrom(progress.requesters[block], id);
      return { accepted: false, unrequested: false, cancelAt: [], pieceComplete: false };
    }
    const cancelAt = progress.requesters[block].filter((other) => other !== id);
    for (const other of cancelAt) {
      this.#outstanding.get(other)?.delete(key);
      this.#excuse(other, 1);
    }
    progress.requesters[block] = [];
    progress.received[block] = 1;
    progress.receivedCount++;
    progress.senders[block] = this.#contributors.get(id)!;
    const pieceComplete = progress.receivedCount === progress.blockCount;
    if (pieceComplete && progress.owner !== undefined) {
      // Nothing left to ask for: free the owner's slot now, not after hashing and writing.
      removeFrom(this.#dealt.get(progress.owner) ?? [], index);
      progress.owner = undefined;
    }
    return { accepted: true, unrequested: false, cancelAt, pieceComplete };
  }

  #finish(index: number): PieceProgress | undefined {
    const progress = this.#progress.get(index);
    if (progress?.owner !== undefined) removeFrom(this.#dealt.get(progress.owner) ?? [], index);
    this.#progress.delete(index);
    return progress;
  }

  /** The peers that sent blocks of a piece in progress, each once. */
  contributorsOf(index: number): Contributor[] {
    const senders = this.#progress.get(index)?.senders ?? [];
    return [...new Set(senders.filter((sender) => sender !== undefined))];
  }

  /**
   * A piece failed with blocks from several peers: it is fetched again
   * whole from a single peer, never shared out in the endgame.
   */
  fetchFromOnePeer(index: number): void {
    this.#singleSource.add(index);
  }

  /**
   * A complete piece matched its hash and was written; the session has set
   * its bit in the bitfield the picker reads (the session owns it).
   */
  pieceVerified(index: number): void {
    this.#finish(index);
    this.#singleSource.delete(index);
  }

  /**
   * A complete piece failed its hash: it goes back to the pool, empty.
   *
   * @returns who sent each of its blocks, in block order.
   */
  pieceFailed(index: number): Contributor[] {
    const senders = this.#finish(index)?.senders ?? [];
    this.#singleSource.delete(index);
    this.#dealCursor = Math.min(this.#dealCursor, this.#position(index));
    return senders.filter((sender) => sender !== undefined);
  }
}

function removeFrom(list: number[], value: number): void {
  const at = list.indexOf(value);
  if (at >= 0) list.splice(at, 1);
}
