/// <reference lib="deno.worker" />
/**
 * A Web Worker that reads a contiguous range of pieces straight from the
 * files and hashes them, so hashing runs on every core while the main
 * thread only collects results. One piece buffer per worker: memory does
 * not grow with the data.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fileSpans, pieceSize } from "./layout.ts";
import type { HashTask, HashWorkerMessage } from "./hash_protocol.ts";

/** Progress is reported after about this many bytes: often enough for a bar, rare enough to be free. */
const PROGRESS_EVERY_BYTES = 32 * 1024 * 1024;

function post(message: HashWorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function readFully(file: Deno.FsFile, target: Uint8Array, path: string): void {
  let filled = 0;
  while (filled < target.length) {
    const read = file.readSync(target.subarray(filled));
    if (read === null || read === 0) {
      throw new Error(`${path} is shorter than when it was listed (did it change?)`);
    }
    filled += read;
  }
}

function hashRange(task: HashTask): Uint8Array<ArrayBuffer> {
  const hashes = new Uint8Array((task.endPiece - task.firstPiece) * 20);
  const buffer = new Uint8Array(task.pieceLength);
  let openIndex = -1;
  let openFile: Deno.FsFile | undefined;
  let unreported = 0;
  try {
    for (let piece = task.firstPiece; piece < task.endPiece; piece++) {
      const size = pieceSize(task.totalLength, task.pieceLength, piece);
      let filled = 0;
      for (const span of fileSpans(task.files, piece * task.pieceLength, size)) {
        const path = task.files[span.fileIndex].absolutePath;
        if (span.fileIndex !== openIndex) {
          openFile?.close();
          openFile = Deno.openSync(path, { read: true });
          openIndex = span.fileIndex;
        }
        openFile!.seekSync(span.fileOffset, Deno.SeekMode.Start);
        readFully(openFile!, buffer.subarray(filled, filled + span.length), path);
        filled += span.length;
      }
      const digest = createHash("sha1").update(buffer.subarray(0, size)).digest();
      hashes.set(digest, (piece - task.firstPiece) * 20);
      unreported += size;
      if (unreported >= PROGRESS_EVERY_BYTES) {
        post({ type: "progress", bytes: unreported });
        unreported = 0;
      }
    }
  } finally {
    openFile?.close();
  }
  if (unreported > 0) post({ type: "progress", bytes: unreported });
  return hashes;
}

self.onmessage = (event: MessageEvent<HashTask>) => {
  try {
    const hashes = hashRange(event.data);
    post({ type: "done", hashes }, [hashes.buffer]);
  } catch (error) {
    const message = error instanceof Deno.errors.NotFound
      ? `a file disappeared while hashing: ${error.message}`
      : error instanceof Error
      ? error.message
      : String(error);
    post({ type: "error", message });
  }
};
