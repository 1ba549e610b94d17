import { Buffer } from "node:buffer";
import type { Bitfield } from "../wire/mod.ts";

/** Owner of a piece not verified yet. */
export const MISSING = 0;
/** Owner of a piece that was on disk, verified, when the torrent started. */
export const ON_DISK = 1;
/** The first owner number that names a peer: owner `FIRST_PEER + k` is `peers[k]`. */
const FIRST_PEER = 2;
/**
 * Peers named one by one, at most: one byte per piece holds the owner, so
 * a map costs a byte a piece however many peers sent pieces. A peer past
 * these shares the last number with the other latecomers ("other peers").
 */
export const MAX_NAMED_PEERS = 255 - FIRST_PEER;
/** The address shown for the shared last owner number. */
export const OTHER_PEERS = "other peers";

/** One peer of a piece map, as the API shows it. */
export interface PieceMapPeer {
  /** Its owner number in {@link PieceMapJson.owners}. */
  readonly owner: number;
  readonly address: string;
  /** Pieces it sent. */
  readonly pieces: number;
}

/** A piece map as the API serves it. */
export interface PieceMapJson {
  readonly pieceCount: number;
  /** One byte per piece, base64: 0 missing, 1 on disk at start, 2 and up a peer's owner number. */
  readonly owners: string;
  readonly onDisk: number;
  readonly peers: readonly PieceMapPeer[];
}

/**
 * Which peer sent each verified piece of a torrent (the report's
 * round-robin dealing, made visible): a byte per piece naming its owner,
 * and the peers' addresses in the order they first sent a piece.
 */
export class PieceMap {
  readonly owners: Uint8Array;
  readonly #peers: string[] = [];
  readonly #numbers = new Map<string, number>();

  /**
   * @example
   * ```ts
   * const map = new PieceMap(7);
   * map.record(3, ["127.0.0.1:6002"]);
   * ```
   */
  constructor(readonly pieceCount: number) {
    this.owners = new Uint8Array(pieceCount);
  }

  /**
   * Matches the map to what a recheck found: pieces verified on disk and not
   * known to come from a peer become {@link ON_DISK}; pieces no longer
   * verified (their files changed) become missing again.
   */
  matchVerified(have: Bitfield): void {
    for (let index = 0; index < this.pieceCount; index++) {
      if (!have.has(index)) this.owners[index] = MISSING;
      else if (this.owners[index] === MISSING) this.owners[index] = ON_DISK;
    }
  }

  /**
   * Records a verified piece. Of several senders (blocks from more than one
   * peer) the first is taken: the map shows one colour per piece.
   */
  record(index: number, from: readonly string[]): void {
    if (index < 0 || index >= this.pieceCount || from.length === 0) return;
    this.owners[index] = this.#numberOf(from[0]);
  }

  #numberOf(address: string): number {
    const known = this.#numbers.get(address);
    if (known !== undefined) return known;
    if (this.#peers.length === MAX_NAMED_PEERS - 1) this.#peers.push(OTHER_PEERS);
    if (this.#peers.length >= MAX_NAMED_PEERS) return FIRST_PEER + MAX_NAMED_PEERS - 1;
    const number = FIRST_PEER + this.#peers.length;
    this.#peers.push(address);
    this.#numbers.set(address, number);
    return number;
  }

  /** The map as the API serves it: owners in base64, each peer with its count of pieces. */
  toJSON(): PieceMapJson {
    const counts = new Array<number>(FIRST_PEER + this.#peers.length).fill(0);
    for (const owner of this.owners) counts[owner]++;
    return {
      pieceCount: this.pieceCount,
      owners: Buffer.from(this.owners).toString("base64"),
      onDisk: counts[ON_DISK],
      peers: this.#peers.map((address, k) => ({
        owner: FIRST_PEER + k,
        address,
        pieces: counts[FIRST_PEER + k],
      })),
    };
  }
}
