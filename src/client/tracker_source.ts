import pLimit, { type LimitFunction } from "p-limit";
import {
  type AnnounceEvent,
  type AnnounceResponse,
  TieredAnnouncer,
  TrackerError,
} from "../tracker/mod.ts";
import type { PeerSource, PeerSourceFactory, SwarmView } from "./peer_source.ts";

/** First wait before retrying a tracker that failed; it doubles up to the maximum. */
export const FIRST_RETRY_MS = 5_000;
/** Longest wait between retries of a failing tracker. */
export const MAX_RETRY_MS = 300_000;
/**
 * The range a tracker's `interval` and `min interval` are held to: a hostile
 * or broken tracker must not make us announce every few milliseconds (an
 * interval past 2^31 ms overflows a timer, which then fires at once) nor
 * never again.
 */
export const ANNOUNCE_INTERVAL_RANGE_S = { min: 5, max: 24 * 3600 } as const;
/** Below this many peers a downloader asks again for more, as soon as `min interval` allows. */
export const FEW_PEERS = 5;
/** Longest the final `stopped` announces may take, all of them together. */
export const STOPPED_TIMEOUT_MS = 3_000;
/**
 * Tracker requests in flight at once, for all the torrents of a Client: a
 * seed of 1,000 torrents must not open 1,000 HTTP requests together (they
 * cost it some 85 MiB at start-up), and one tracker answers a queue of them
 * in milliseconds.
 */
export const MAX_ANNOUNCES_AT_ONCE = 16;

/** Who we are to the trackers. */
export interface TrackerSourceOptions {
  /** Our name in p2p tracker's log (p2p's `name` parameter). */
  readonly name?: string;
  readonly log?: (line: string) => void;
}

/**
 * The trackers of a torrent's .torrent as a peer source (none for a torrent
 * without trackers).
 *
 * @example
 * ```ts
 * new Client({ peerSources: [trackerSource({ name: "client1" })] });
 * ```
 */
export function trackerSource(options: TrackerSourceOptions = {}): PeerSourceFactory {
  const slots = pLimit(MAX_ANNOUNCES_AT_ONCE);
  return (swarm) =>
    swarm.trackerTiers.length > 0 ? new TrackerAnnouncer(swarm, options, slots) : undefined;
}

/**
 * Keeps a torrent announced: `started`, then again at the tracker's
 * interval (sooner, at `min interval`, while a downloader has few peers),
 * `completed` when the download finishes, `stopped` on the way out. A
 * tracker that fails is retried with backoff while the torrent goes on
 * serving the peers it already has.
 */
class TrackerAnnouncer implements PeerSource {
  readonly #trackers: TieredAnnouncer;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryMs = FIRST_RETRY_MS;
  #stopped = false;
  #started = false;
  status: { answered: boolean; lastError?: string } = { answered: false };

  constructor(
    readonly swarm: SwarmView,
    readonly options: TrackerSourceOptions,
    /** The Client's tracker requests in flight: shared by all its torrents. */
    readonly slots: LimitFunction,
  ) {
    this.#trackers = new TieredAnnouncer(swarm.trackerTiers, { retries: 0 });
    // `completed` is for a download that finishes here, never for a seed that starts complete.
    if (!swarm.complete) {
      swarm.whenComplete().then(() => {
        if (this.#started && !this.#stopped) this.#announceAndSchedule("completed");
      }, () => {});
    }
  }

  #announce(event?: AnnounceEvent, deadline?: number): Promise<AnnounceResponse> {
    return this.slots(async () => {
      const left = deadline === undefined ? undefined : deadline - performance.now();
      if (left !== undefined && left <= 0) throw new TrackerError("no time left to announce");
      return await this.#request(event, left);
    });
  }

  async #request(event?: AnnounceEvent, timeoutMs?: number): Promise<AnnounceResponse> {
    const swarm = this.swarm;
    const trackers = timeoutMs === undefined
      ? this.#trackers
      : new TieredAnnouncer(swarm.trackerTiers, { retries: 0, timeoutMs });
    const { response } = await trackers.announce({
      infoHash: swarm.infoHash,
      peerId: swarm.peerId,
      port: swarm.port,
      uploaded: swarm.uploaded(),
      downloaded: swarm.downloaded(),
      left: swarm.left(),
      event,
      numwant: swarm.complete ? 0 : 50,
      name: this.options.name,
    });
    return response;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#announceAndSchedule("started");
  }

  #announceAndSchedule(event?: AnnounceEvent): void {
    clearTimeout(this.#timer);
    this.#announce(event).then((response) => {
      this.#retryMs = FIRST_RETRY_MS;
      this.status = { answered: true };
      if (response.warning) this.options.log?.(`tracker warning: ${response.warning}`);
      this.swarm.addPeers(response.peers);
      const soon = this.swarm.wantsPeers && this.swarm.peerCount < FEW_PEERS;
      const seconds = soon ? response.minInterval ?? 30 : response.interval;
      const { min, max } = ANNOUNCE_INTERVAL_RANGE_S;
      // NaN (a missing or odd number) falls to the longest wait, not the shortest.
      this.#schedule(Math.min(Math.max(seconds, min), max) * 1000 || max * 1000, undefined);
    }, (error) => {
      const message = error instanceof TrackerError ? error.message : String(error);
      this.status = { answered: this.status.answered, lastError: message };
      this.options.log?.(`${message}; retrying in ${Math.round(this.#retryMs / 1000)} s`);
      // A `started` or `completed` that did not get through is said again.
      this.#schedule(this.#retryMs, event);
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    });
  }

  #schedule(ms: number, event: AnnounceEvent | undefined): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#announceAndSchedule(event), ms);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#started) return;
    await this.#announce("stopped", performance.now() + STOPPED_TIMEOUT_MS).catch(() => {});
  }
}
