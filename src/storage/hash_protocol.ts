import type { PlacedFile } from "./layout.ts";

/** A file to read while hashing: where it is on disk and where it sits in the torrent. */
export interface HashedFile extends PlacedFile {
  readonly absolutePath: string;
}

/** Index in {@link HashJob.control} of the next batch of pieces to claim. */
export const NEXT_BATCH = 0;
/** Index in {@link HashJob.control} of the flag a failing thread raises to stop the others. */
export const FAILED = 1;

/**
 * The work shared by every hashing thread: each claims the next batch of
 * pieces from a shared counter until none are left, so a thread that starts
 * late (a worker loading its modules) or runs slower simply claims fewer.
 * Results go straight into shared memory.
 */
export interface HashJob {
  readonly files: readonly HashedFile[];
  readonly pieceLength: number;
  readonly totalLength: number;
  readonly pieceCount: number;
  /** Pieces per claim: a few MiB, so claims are cheap and the last ones are short. */
  readonly batchPieces: number;
  /**
   * Recheck mode: a missing or short file fails the pieces it touches
   * instead of failing the whole job.
   */
  readonly tolerateMissing: boolean;
  /** Shared counters, indexed by {@link NEXT_BATCH} and {@link FAILED}. */
  readonly control: Int32Array<SharedArrayBuffer>;
  /** Shared: 20 bytes of SHA-1 per piece. */
  readonly hashes: Uint8Array<SharedArrayBuffer>;
  /** Shared: one byte per piece, 1 if all its bytes could be read (always 1 unless tolerating). */
  readonly readable: Uint8Array<SharedArrayBuffer>;
}

/** What a hash worker posts back; its results are in the job's shared memory. */
export type HashWorkerMessage =
  | { readonly type: "progress"; readonly bytes: number }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly message: string };
