import { MetainfoError } from "../metainfo/mod.ts";
import type { TorrentSummary } from "./torrent_summary.ts";

/**
 * Summarizes published torrents in a worker of its own, started on the
 * first publish and kept: announces never wait for a parse.
 */
export class OffThreadSummarizer {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (summary: TorrentSummary) => void; reject: (error: Error) => void }
  >();

  /**
   * @throws {MetainfoError} when the bytes are not a valid torrent.
   * @example
   * ```ts
   * const summary = await summarizer.summarize(bytes, LISTED_FILES);
   * ```
   */
  summarize(bytes: Uint8Array, listed: number): Promise<TorrentSummary> {
    const id = this.#nextId++;
    const answer = Promise.withResolvers<TorrentSummary>();
    this.#waiting.set(id, answer);
    this.#start().postMessage({ id, bytes, listed });
    return answer.promise;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./summary_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (
      event: MessageEvent<{ id: number; summary?: TorrentSummary; error?: string }>,
    ) => {
      const { id, summary, error } = event.data;
      const waiting = this.#waiting.get(id);
      this.#waiting.delete(id);
      if (summary) waiting?.resolve(summary);
      else waiting?.reject(new MetainfoError(error ?? "not a torrent"));
    };
    worker.onerror = (event) => {
      // A crash of the worker fails what waits on it; the next publish starts a new one.
      event.preventDefault();
      for (const { reject } of this.#waiting.values()) reject(new Error(event.message));
      this.#waiting.clear();
      this.#worker = undefined;
      worker.terminate();
    };
    this.#worker = worker;
    return worker;
  }

  /** Stops the worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}
