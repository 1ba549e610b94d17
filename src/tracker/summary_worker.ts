/**
 * The tracker's publish worker: summarizes a posted .torrent off the thread
 * that answers announces. Receives `{ id, bytes, listed }`, answers
 * `{ id, summary }` or `{ id, error }` (a MetainfoError's message).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { MetainfoError } from "../metainfo/mod.ts";
import { summarizeTorrent } from "./torrent_summary.ts";

self.onmessage = (event: MessageEvent<{ id: number; bytes: Uint8Array; listed: number }>) => {
  const { id, bytes, listed } = event.data;
  try {
    self.postMessage({ id, summary: summarizeTorrent(bytes, listed) });
  } catch (error) {
    if (!(error instanceof MetainfoError)) throw error;
    self.postMessage({ id, error: error.message });
  }
};
