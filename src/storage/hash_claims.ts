import { createHash } from "node:crypto";
import { FAILED, type HashJob, NEXT_BATCH } from "./hash_protocol.ts";
import { pieceSize } from "../metainfo/geometry.ts";
import { fileSpans } from "./layout.ts";

/** Progress is reported after about this many bytes: often enough for a bar, rare enough to be free. */
const PROGRESS_EVERY_BYTES = 32 * 1024 * 1024;

/** A file ends early or is missing. */
class UnreadableError extends Error {}

function readFully(file: Deno.FsFile, target: Uint8Array, path: string): void {
  let filled = 0;
  while (filled < target.length) {
    const read = file.readSync(target.subarray(filled));
    if (read === null || read === 0) {
      throw new UnreadableError(`${path} is shorter than when it was listed (did it change?)`);
    }
    filled += read;
  }
}

function openFile(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UnreadableError(`a file disappeared while hashing: ${path}`);
    }
    throw error;
  }
}

/**
 * Claims batches of pieces from `job` until none are left (or another thread
 * failed), reads each piece straight from the files into one piece buffer
 * and writes its SHA-1 into the job's shared memory. Runs in each hash
 * worker, and on the main thread too when blocking it costs nothing (before
 * any peer is served).
 *
 * @throws {Error} when a file cannot be read (unless the job tolerates it); the job is marked failed.
 * @example
 * ```ts
 * hashClaimedPieces(job, (bytes) => bar.advance(bytes));
 * ```
 */
export function hashClaimedPieces(job: HashJob, onProgress: (bytes: number) => void): void {
  const buffer = new Uint8Array(job.pieceLength);
  let openIndex = -1;
  let open: Deno.FsFile | undefined;
  let unreported = 0;
  try {
    while (Atomics.load(job.control, FAILED) === 0) {
      const first = Atomics.add(job.control, NEXT_BATCH, 1) * job.batchPieces;
      if (first >= job.pieceCount) break;
      const end = Math.min(job.pieceCount, first + job.batchPieces);
      for (let piece = first; piece < end; piece++) {
        const size = pieceSize(job, piece);
        unreported += size;
        let filled = 0;
        try {
          for (const span of fileSpans(job.files, piece * job.pieceLength, size)) {
            const path = job.files[span.fileIndex].absolutePath;
            if (span.fileIndex !== openIndex || !open) {
              open?.close();
              open = undefined;
              openIndex = span.fileIndex;
              open = openFile(path);
            }
            const file: Deno.FsFile = open;
            file.seekSync(span.fileOffset, Deno.SeekMode.Start);
            readFully(file, buffer.subarray(filled, filled + span.length), path);
            filled += span.length;
          }
        } catch (error) {
          if (!(error instanceof UnreadableError) || !job.tolerateMissing) throw error;
          job.readable[piece] = 0;
          continue;
        }
        job.hashes.set(createHash("sha1").update(buffer.subarray(0, size)).digest(), piece * 20);
        job.readable[piece] = 1;
      }
      if (unreported >= PROGRESS_EVERY_BYTES) {
        onProgress(unreported);
        unreported = 0;
      }
    }
  } catch (error) {
    Atomics.store(job.control, FAILED, 1);
    throw error;
  } finally {
    open?.close();
  }
  if (unreported > 0) onProgress(unreported);
}
