import type { Catalog } from "../catalog.ts";
import type { SwarmSample } from "../swarm_history.ts";

/** The tracker's figures at one moment, as the stats page, its JSON and `/metrics` give them. */
export interface TrackerStats {
  readonly uptimeSeconds: number;
  /** Answered since start, by protocol. */
  readonly announces: { readonly http: number; readonly udp: number };
  readonly scrapes: { readonly http: number; readonly udp: number };
  /** Over the last minute or so (see `RATE_WINDOW_SECONDS`). */
  readonly announcesPerSecond: { readonly http: number; readonly udp: number };
  readonly swarms: number;
  readonly peers: number;
  readonly seeders: number;
  readonly leechers: number;
  readonly published: number;
  /** The process's resident set size. */
  readonly residentBytes: number;
  /** The JavaScript heap in use, and the share of it V8 holds from the system. */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
}

/** A swarm's counts, as the pages and their JSON name them. */
export interface SwarmCounts {
  readonly seeders: number;
  readonly leechers: number;
  /** Downloads completed (announces with `event=completed`). */
  readonly completed: number;
}

/** A publish's outcome, as `POST /torrents` answers it. */
export interface PublishOutcome {
  readonly infoHash: string;
  readonly name: string;
  /** False when the catalog had it already. */
  readonly added: boolean;
}

/**
 * What the web pages may see and do of a running tracker: reads of its
 * catalog and swarms, and the same publish and unpublish as its API.
 */
export interface TrackerView {
  readonly catalog: Catalog;
  /** Largest .torrent a publish takes. */
  readonly maxTorrentBytes: number;
  /** Whether the tracker was started with a publish token. */
  readonly tokenRequired: boolean;
  /** Whether addresses come from a proxy's headers (then no request is "from loopback"). */
  readonly trustProxy: boolean;
  /** Compares in constant time; false when no token is set. */
  tokenMatches(token: string): boolean;
  /** Seeders, leechers and completed downloads of a torrent by hex info hash. */
  swarm(infoHashHex: string): SwarmCounts;
  /** Names announced by a torrent's seeders (at most `limit`), and its seeder count. */
  seederNames(infoHashHex: string, limit: number): { names: string[]; seeders: number };
  /** The torrent's swarm over the last hours, oldest first, ending with its counts now. */
  history(infoHashHex: string): SwarmSample[];
  stats(): TrackerStats;
  /**
   * Publishes a .torrent by the same rules as `POST /torrents`.
   *
   * @throws {MetainfoError} when the bytes are not a valid torrent.
   */
  publish(bytes: Uint8Array, publisher?: string): Promise<PublishOutcome>;
  /** Removes a torrent from the catalog; false if it was not there. */
  unpublish(infoHashHex: string): boolean;
}
