/// <reference lib="deno.worker" />
/**
 * A Web Worker that claims batches of pieces from a shared hash job, reads
 * them straight from the files and hashes them, so hashing runs on every
 * core while the main thread hashes too or only collects the result. One
 * piece buffer per worker: memory does not grow with the data.
 *
 * @module
 */
import type { HashJob, HashWorkerMessage } from "./hash_protocol.ts";
import { hashClaimedPieces } from "./hash_claims.ts";

function post(message: HashWorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<HashJob>) => {
  try {
    hashClaimedPieces(event.data, (bytes) => post({ type: "progress", bytes }));
    post({ type: "done" });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    post({ type: "error", message });
  }
};
