import type { PlacedFile } from "./layout.ts";

/** A file to read while hashing: where it is on disk and where it sits in the torrent. */
export interface HashedFile extends PlacedFile {
  readonly absolutePath: string;
}

/** The work one hash worker is given: pieces `[firstPiece, endPiece)`. */
export interface HashTask {
  readonly files: readonly HashedFile[];
  readonly pieceLength: number;
  readonly totalLength: number;
  readonly firstPiece: number;
  readonly endPiece: number;
  /**
   * Recheck mode: a missing or short file fails the pieces it touches
   * instead of failing the whole task.
   */
  readonly tolerateMissing: boolean;
}

/** What a hash worker posts back. */
export type HashWorkerMessage =
  | { readonly type: "progress"; readonly bytes: number }
  | {
    readonly type: "done";
    readonly hashes: Uint8Array;
    /** One byte per piece: 1 if all its bytes could be read (always 1 unless tolerating). */
    readonly readable: Uint8Array;
  }
  | { readonly type: "error"; readonly message: string };
