import { createHash } from "node:crypto";
import type { TorrentInfo } from "../metainfo/mod.ts";
import type { PieceStore } from "../storage/mod.ts";

/** Verified pieces that may wait for the disk before downloading pauses. */
export const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;

/**
 * Verifies a complete piece against its SHA-1 and writes it, as one step:
 * unverified bytes never reach the store. It also counts the verified
 * bytes still on their way to the disk, so the scheduler can stop asking
 * for more when the disk is slower than the network.
 */
export class PieceWriter {
  #unwrittenBytes = 0;

  /**
   * @example
   * ```ts
   * const writer = new PieceWriter(info, storage);
   * if (await writer.commit(index, buffer)) have.set(index);
   * ```
   */
  constructor(readonly info: TorrentInfo, readonly store: PieceStore) {}

  /** True while so many verified bytes wait for the disk that no new blocks should be asked for. */
  get backlogged(): boolean {
    return this.#unwrittenBytes > MAX_UNWRITTEN_BYTES;
  }

  /**
   * Hashes `piece` and, when it matches, writes it.
   *
   * @returns false when the hash did not match (nothing was written).
   * @throws {StorageError} when the write fails.
   */
  async commit(index: number, piece: Uint8Array): Promise<boolean> {
    const digest = createHash("sha1").update(piece).digest();
    const expected = this.info.pieceHashes.subarray(index * 20, index * 20 + 20);
    if (!sameBytes(digest, expected)) return false;
    this.#unwrittenBytes += piece.length;
    try {
      await this.store.writePiece(index, piece);
    } finally {
      this.#unwrittenBytes -= piece.length;
    }
    return true;
  }
}

/**
 * Byte-wise equality.
 *
 * @example
 * ```ts
 * sameBytes(new Uint8Array([1]), new Uint8Array([1])); // true
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
