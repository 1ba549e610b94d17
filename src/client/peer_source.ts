import type { InfoHash } from "../metainfo/mod.ts";
import type { Endpoint } from "../transport/mod.ts";

/** What a peer source sees of one torrent the Client holds. */
export interface SwarmView {
  readonly infoHash: InfoHash;
  readonly peerId: Uint8Array;
  /** The port peers reach us on. */
  readonly port: number;
  /**
   * A private torrent (BEP 27): peers come from its trackers only, never
   * the DHT, local discovery or peer exchange. False while the metadata is unknown.
   */
  readonly isPrivate: boolean;
  /** Tracker tiers (BEP 12) of its .torrent; empty for a torrent known by info hash only. */
  readonly trackerTiers: readonly (readonly string[])[];
  /** Bytes still to download; the whole size while the metadata is unknown. */
  left(): number;
  uploaded(): number;
  downloaded(): number;
  /** True once every piece is verified. */
  readonly complete: boolean;
  /** Resolves when the download completes (never for a torrent that started complete). */
  whenComplete(): Promise<void>;
  /** True while the torrent wants more peers than it has. */
  readonly wantsPeers: boolean;
  readonly peerCount: number;
  /** Hands over addresses found: the Client connects to them as its limits allow. */
  addPeers(endpoints: readonly Endpoint[]): void;
}

/**
 * Something that finds peers for a torrent: its trackers today; the DHT,
 * peer exchange and local discovery later. A source only yields addresses;
 * the Client connects.
 */
export interface PeerSource {
  /** Starts looking (a tracker announces `started`). */
  start(): void;
  /** Stops looking, saying goodbye where that is due (`stopped`). */
  stop(): Promise<void>;
  /** Whether it ever got an answer, and its last failure since. */
  readonly status: PeerSourceStatus;
}

/** How a peer source is doing, for people. */
export interface PeerSourceStatus {
  readonly answered: boolean;
  readonly lastError?: string;
}

/** Makes a torrent's instance of a peer source, or none when the source does not apply to it. */
export type PeerSourceFactory = (swarm: SwarmView) => PeerSource | undefined;
