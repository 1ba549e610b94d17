/// <reference lib="deno.worker" />
/**
 * A Web Worker that reads a contiguous range of pieces straight from the
 * files and hashes them, so hashing runs on every core while the main
 * thread only collects results. One piece buffer per worker: memory does
 * not grow with the data.
 *
 * @module
 */
import type { HashTask, HashWorkerMessage } from "./hash_protocol.ts";
import { hashRange } from "./hash_range.ts";

function post(message: HashWorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<HashTask>) => {
  try {
    const { hashes, readable } = hashRange(
      event.data,
      (bytes) => post({ type: "progress", bytes }),
    );
    post({ type: "done", hashes, readable }, [hashes.buffer, readable.buffer]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    post({ type: "error", message });
  }
};
