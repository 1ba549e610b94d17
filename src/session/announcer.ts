import {
  type AnnounceEvent,
  type AnnounceResponse,
  TieredAnnouncer,
  TrackerError,
} from "../tracker/mod.ts";
import type { TorrentSession } from "./session.ts";

/** First wait before retrying a tracker that failed; it doubles up to the maximum. */
export const FIRST_RETRY_MS = 5_000;
/** Longest wait between retries of a failing tracker. */
export const MAX_RETRY_MS = 300_000;
/** Below this many peers a downloader asks again for more, as soon as `min interval` allows. */
export const FEW_PEERS = 5;
/** Longest the final `stopped` announce may take. */
export const STOPPED_TIMEOUT_MS = 3_000;

/** Who we are to the tracker. */
export interface AnnouncerOptions {
  readonly port: number;
  /** Our name in p2p tracker's log (p2p's `name` parameter). */
  readonly name?: string;
  readonly log?: (line: string) => void;
  /** Told of each successful announce. */
  readonly onAnswer?: (url: string, response: AnnounceResponse) => void;
}

/**
 * Keeps a session announced: `started`, then again at the tracker's
 * interval (sooner, at `min interval`, while a downloader has few peers),
 * `completed` when the download finishes, `stopped` on the way out. A
 * tracker that fails is retried with backoff while the session goes on
 * serving the peers it already has.
 */
export class SessionAnnouncer {
  readonly #trackers: TieredAnnouncer;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryMs = FIRST_RETRY_MS;
  #stopped = false;
  #started = false;
  /** The last announce failure, cleared by the next success. */
  lastError: string | undefined;
  /** Whether any announce has been answered yet. */
  answered = false;

  /**
   * @example
   * ```ts
   * const announcer = new SessionAnnouncer(session, { port: listener.port });
   * announcer.start();
   * ```
   */
  constructor(readonly session: TorrentSession, readonly options: AnnouncerOptions) {
    this.#trackers = new TieredAnnouncer(session.torrent.trackerTiers, { retries: 0 });
    // `completed` is for a download that finishes here, never for a seed that starts complete.
    if (!session.complete) {
      session.whenComplete().then(() => {
        if (this.#started && !this.#stopped) this.#announceNow("completed");
      }, () => {});
    }
  }

  async #announce(event?: AnnounceEvent, timeoutMs?: number): Promise<AnnounceResponse> {
    const stats = this.session.stats();
    const trackers = timeoutMs === undefined
      ? this.#trackers
      : new TieredAnnouncer(this.session.torrent.trackerTiers, { retries: 0, timeoutMs });
    const { url, response } = await trackers.announce({
      infoHash: this.session.torrent.infoHash,
      peerId: this.session.options.peerId,
      port: this.options.port,
      uploaded: stats.uploaded,
      downloaded: stats.downloaded,
      left: this.session.torrent.totalLength - stats.verifiedBytes,
      event,
      numwant: this.session.complete ? 0 : 50,
      name: this.options.name,
    });
    this.options.onAnswer?.(url, response);
    return response;
  }

  /** Announces `started` and keeps announcing until {@link stop}. */
  start(): void {
    this.#started = true;
    this.#announceNow("started");
  }

  #announceNow(event?: AnnounceEvent): void {
    clearTimeout(this.#timer);
    this.#announce(event).then((response) => {
      this.#retryMs = FIRST_RETRY_MS;
      this.lastError = undefined;
      this.answered = true;
      if (response.warning) this.options.log?.(`tracker warning: ${response.warning}`);
      this.session.connect(response.peers);
      const soon = this.session.wantsPeers && this.session.peers.size < FEW_PEERS;
      const seconds = soon
        ? Math.max(response.minInterval ?? 30, 5)
        : Math.max(response.interval, 5);
      this.#schedule(seconds * 1000, undefined);
    }, (error) => {
      const message = error instanceof TrackerError ? error.message : String(error);
      this.lastError = message;
      this.options.log?.(`${message}; retrying in ${Math.round(this.#retryMs / 1000)} s`);
      // A `started` or `completed` that did not get through is said again.
      this.#schedule(this.#retryMs, event);
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    });
  }

  #schedule(ms: number, event: AnnounceEvent | undefined): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#announceNow(event), ms);
  }

  /** Announces `stopped` (briefly: the process is leaving) and stops the schedule. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#started) return;
    await this.#announce("stopped", STOPPED_TIMEOUT_MS).catch(() => {});
  }
}
