import { createHash } from "node:crypto";
import type { HashTask } from "./hash_protocol.ts";
import { pieceSize } from "../metainfo/mod.ts";
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
 * Reads and hashes the pieces of `task` straight from the files, with one
 * piece buffer. Runs in a hash worker, or on the main thread for one range
 * when blocking it briefly costs nothing (before any peer is served).
 *
 * @example
 * ```ts
 * const { hashes, readable } = hashRange(task, (bytes) => bar.advance(bytes));
 * ```
 */
export function hashRange(
  task: HashTask,
  onProgress: (bytes: number) => void,
): { hashes: Uint8Array<ArrayBuffer>; readable: Uint8Array<ArrayBuffer> } {
  const pieces = task.endPiece - task.firstPiece;
  const hashes = new Uint8Array(pieces * 20);
  const readable = new Uint8Array(pieces).fill(1);
  const buffer = new Uint8Array(task.pieceLength);
  let openIndex = -1;
  let open: Deno.FsFile | undefined;
  let unreported = 0;
  try {
    for (let piece = task.firstPiece; piece < task.endPiece; piece++) {
      const size = pieceSize(task, piece);
      let filled = 0;
      try {
        for (const span of fileSpans(task.files, piece * task.pieceLength, size)) {
          const path = task.files[span.fileIndex].absolutePath;
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
        if (!(error instanceof UnreadableError) || !task.tolerateMissing) throw error;
        readable[piece - task.firstPiece] = 0;
        unreported += size;
        continue;
      }
      const digest = createHash("sha1").update(buffer.subarray(0, size)).digest();
      hashes.set(digest, (piece - task.firstPiece) * 20);
      unreported += size;
      if (unreported >= PROGRESS_EVERY_BYTES) {
        onProgress(unreported);
        unreported = 0;
      }
    }
  } finally {
    open?.close();
  }
  if (unreported > 0) onProgress(unreported);
  return { hashes, readable };
}
