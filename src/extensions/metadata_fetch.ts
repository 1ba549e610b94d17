import { createHash } from "node:crypto";
import type { InfoHash } from "../metainfo/mod.ts";
import type { Peer } from "../session/mod.ts";
import { METADATA_PIECE_SIZE } from "../wire/mod.ts";

/**
 * The largest info dictionary fetched from peers: 16 MiB holds the piece
 * hashes of some 800,000 pieces (200 GiB in 256 KiB pieces). A peer
 * claiming more is not asked; the metadata is held in memory until checked.
 */
export const MAX_METADATA_SIZE = 16 * 1024 * 1024;
/** Metadata pieces asked of one peer at a time. */
export const METADATA_REQUESTS_PER_PEER = 2;
/** A metadata request unanswered this long is asked of another peer. */
export const METADATA_REQUEST_TIMEOUT_MS = 10_000;
/**
 * A piece a peer turned down (or let time out) is not asked of it again
 * for this long: a peer that rejects everything is not asked in a loop.
 */
export const METADATA_DECLINE_MS = 5_000;

/** Why a peer's answer cannot be used: it is forgotten (closed, never asked again). */
export class MetadataLie {
  constructor(readonly peer: Peer, readonly reason: string) {}
}

/** A request for one metadata piece, sent to a peer. */
interface Asked {
  readonly peer: Peer;
  readonly at: number;
}

/** What one attempt to assemble the metadata of a given size has. */
interface Attempt {
  readonly size: number;
  readonly pieces: (Uint8Array | undefined)[];
  /** Who sent each piece: when the hash fails, they are the suspects. */
  readonly senders: (Peer | undefined)[];
  readonly asked: Map<number, Asked>;
  /** After a failed check with several senders: every piece from this one peer, to find who lied. */
  onlyFrom: Peer | undefined;
}

/** The outcome of a piece arriving. */
export type PieceOutcome =
  | { readonly kind: "stored" }
  | { readonly kind: "ignored" }
  /** Every piece is in and the whole matches the info hash. */
  | { readonly kind: "complete"; readonly bytes: Uint8Array }
  /** Every piece is in and the whole does not match: discarded, with who is to blame. */
  | { readonly kind: "mismatch"; readonly liar?: Peer };

/**
 * Assembles a torrent's info dictionary from the 16 KiB pieces peers send
 * (BEP 9): which piece to ask of whom, what arrived from whom, and the
 * SHA-1 check against the info hash. Pieces are asked of several peers at
 * once, all of them offering the same size. When the assembled whole fails
 * its check and more than one peer sent it, the next attempt takes every
 * piece from a single peer, so that the next failure names the liar. It
 * sends nothing itself: {@link plan} says what to ask.
 */
export class MetadataFetch {
  /** Peers that offered metadata, with the size each said (`metadata_size`). */
  readonly #offers = new Map<Peer, number>();
  /** Pieces each peer turned down or let time out, and when. */
  readonly #declined = new Map<Peer, Map<number, number>>();
  #attempt: Attempt | undefined;
  #failedChecks = 0;

  constructor(readonly infoHash: InfoHash) {}

  /** A peer offers metadata of `size` bytes (its handshake's `metadata_size`). */
  offer(peer: Peer, size: number): void {
    this.#offers.set(peer, size);
  }

  /** The peer left, or was forgotten: its requests are freed for others. */
  forget(peer: Peer): void {
    this.#offers.delete(peer);
    this.#declined.delete(peer);
    const attempt = this.#attempt;
    if (!attempt) return;
    for (const [piece, asked] of attempt.asked) {
      if (asked.peer === peer) attempt.asked.delete(piece);
    }
    if (attempt.onlyFrom === peer) attempt.onlyFrom = undefined;
  }

  /** How many failed checks so far (for people). */
  get failedChecks(): number {
    return this.#failedChecks;
  }

  /** Peers offering metadata now. */
  get offers(): number {
    return this.#offers.size;
  }

  /**
   * The requests to send now, at `now`: timed-out requests are freed first,
   * then each missing piece not being asked goes to the peer (offering this
   * attempt's size) with the fewest requests out, at most
   * {@link METADATA_REQUESTS_PER_PEER} each.
   */
  plan(now: number): { peer: Peer; piece: number }[] {
    const attempt = this.#attempt ?? this.#start();
    if (!attempt) return [];
    for (const [piece, asked] of attempt.asked) {
      if (now - asked.at < METADATA_REQUEST_TIMEOUT_MS) continue;
      attempt.asked.delete(piece);
      this.#decline(asked.peer, piece, now);
    }
    const load = new Map<Peer, number>();
    for (const [peer, size] of this.#offers) {
      if (size === attempt.size && (!attempt.onlyFrom || attempt.onlyFrom === peer)) {
        load.set(peer, 0);
      }
    }
    for (const { peer } of attempt.asked.values()) {
      if (load.has(peer)) load.set(peer, load.get(peer)! + 1);
    }
    const requests: { peer: Peer; piece: number }[] = [];
    for (let piece = 0; piece < attempt.pieces.length; piece++) {
      if (attempt.pieces[piece] || attempt.asked.has(piece)) continue;
      let best: Peer | undefined;
      for (const [peer, count] of load) {
        const declinedAt = this.#declined.get(peer)?.get(piece);
        if (
          count >= METADATA_REQUESTS_PER_PEER ||
          (declinedAt !== undefined && now - declinedAt < METADATA_DECLINE_MS)
        ) continue;
        if (!best || count < load.get(best)!) best = peer;
      }
      if (!best) continue;
      load.set(best, load.get(best)! + 1);
      attempt.asked.set(piece, { peer: best, at: now });
      requests.push({ peer: best, piece });
    }
    return requests;
  }

  /** The peer turned the piece down (a reject) at `now`: another is asked. */
  rejected(peer: Peer, piece: number, now: number): void {
    const asked = this.#attempt?.asked.get(piece);
    if (asked?.peer !== peer) return;
    this.#attempt!.asked.delete(piece);
    this.#decline(peer, piece, now);
  }

  /**
   * A piece arrived from `peer`, saying the whole is `totalSize` bytes.
   *
   * @throws {MetadataLie} when the peer says another size than it offered,
   * or the piece has the wrong length.
   */
  received(peer: Peer, piece: number, totalSize: number, data: Uint8Array): PieceOutcome {
    const attempt = this.#attempt;
    const asked = attempt?.asked.get(piece);
    if (!attempt || asked?.peer !== peer) return { kind: "ignored" };
    if (totalSize !== attempt.size) {
      throw new MetadataLie(peer, `said its metadata is ${attempt.size} bytes, then ${totalSize}`);
    }
    const expected = Math.min(METADATA_PIECE_SIZE, attempt.size - piece * METADATA_PIECE_SIZE);
    if (data.length !== expected) {
      throw new MetadataLie(
        peer,
        `sent ${data.length} bytes of metadata piece ${piece}, not ${expected}`,
      );
    }
    attempt.asked.delete(piece);
    attempt.pieces[piece] = data.slice();
    attempt.senders[piece] = peer;
    if (attempt.pieces.some((bytes) => !bytes)) return { kind: "stored" };
    return this.#check(attempt);
  }

  #check(attempt: Attempt): PieceOutcome {
    const bytes = new Uint8Array(attempt.size);
    attempt.pieces.forEach((piece, index) => bytes.set(piece!, index * METADATA_PIECE_SIZE));
    const digest = createHash("sha1").update(bytes).digest();
    if (digest.every((byte, index) => byte === this.infoHash.bytes[index])) {
      this.#attempt = undefined;
      this.#offers.clear();
      return { kind: "complete", bytes };
    }
    this.#failedChecks++;
    const senders = new Set(attempt.senders);
    this.#attempt = undefined;
    this.#declined.clear();
    if (senders.size === 1) return { kind: "mismatch", liar: [...senders][0] };
    // Several sent it: the next attempt takes it all from one of them.
    const next = this.#start();
    if (next) next.onlyFrom = [...senders].find((peer) => peer && this.#offers.has(peer));
    return { kind: "mismatch" };
  }

  /** A new attempt at the size most peers offer. */
  #start(): Attempt | undefined {
    const votes = new Map<number, number>();
    for (const size of this.#offers.values()) votes.set(size, (votes.get(size) ?? 0) + 1);
    let size: number | undefined;
    for (const [candidate, count] of votes) {
      if (size === undefined || count > votes.get(size)!) size = candidate;
    }
    if (size === undefined) return undefined;
    const count = Math.ceil(size / METADATA_PIECE_SIZE);
    this.#attempt = {
      size,
      pieces: new Array(count).fill(undefined),
      senders: new Array(count).fill(undefined),
      asked: new Map(),
      onlyFrom: undefined,
    };
    return this.#attempt;
  }

  #decline(peer: Peer, piece: number, now: number): void {
    let declined = this.#declined.get(peer);
    if (!declined) this.#declined.set(peer, declined = new Map());
    declined.set(piece, now);
  }
}
