import { type InfoHash, pieceSize, type TorrentInfo } from "../metainfo/mod.ts";
import type { PieceStore } from "../storage/mod.ts";
import type { Endpoint, PeerStream } from "../transport/mod.ts";
import { formatEndpoint } from "../transport/mod.ts";
import {
  Bitfield,
  describePeerId,
  fitToGeometry,
  type Handshake,
  type Message,
  messageLengthLimit,
  supportsExtensionProtocol,
  WireError,
} from "../wire/mod.ts";
import { CHOKE_INTERVAL_MS, type ChokeCandidate, Choker, DEFAULT_UPLOAD_SLOTS } from "./choker.ts";
import { type Clock, systemClock, type Timer } from "./clock.ts";
import { DownloadScheduler, STALL_TIMEOUT_MS } from "./download_scheduler.ts";
import { type ExtensionFactory, ExtensionRegistry } from "./extensions.ts";
import {
  isFastMessage,
  offerAllowedFast,
  piecesMessage,
  rememberAllowedFast,
  unaskedReject,
  welcomeFast,
} from "./fast.ts";
import { isLoopback, Peer } from "./peer.ts";
import type { PeerPlugin } from "./peer_plugin.ts";
import { PeerConnection } from "./peer_connection.ts";
import type { Contributor } from "./picker.ts";
import { PieceWriter, sameBytes } from "./piece_writer.ts";
import type { RateLimiter } from "./rate_limiter.ts";
import { Redials } from "./redials.ts";
import { DEFAULT_MAX_STRIKES, Reputation } from "./reputation.ts";
import { MAX_QUEUED_REQUESTS, UploadSide } from "./upload_side.ts";

/** Most peer connections per torrent. */
export const DEFAULT_MAX_PEERS = 50;
/**
 * Outgoing connection attempts under way at once, per torrent. Most of the
 * addresses a tracker hands out are often dead, and a dead one that
 * refuses TCP still holds its attempt for the uTP fallback's whole connect
 * timeout (UDP says nothing): at 10, thirty dead addresses kept a live seed
 * listed after them waiting 15 s. libtorrent sets no such limit at all.
 */
export const MAX_CONNECTING = 32;
/**
 * Connections from one IP address at most (loopback excepted: every local
 * program shares it). More would let one host fill the peer table.
 */
export const MAX_PEERS_PER_IP = 4;
/**
 * A peer that neither gives nor takes (no interest either way, no block
 * either way) for this long makes way for a newcomer when the table is
 * full: idle connections must not lock a torrent's swarm out. An honest
 * peer says it is interested within milliseconds of its handshake; aria2c
 * does not come back to a seed that turned it away.
 */
export const IDLE_EVICTION_MS = 1_000;
/**
 * A peer whose socket has taken none of what we queued for this long is
 * not reading: when an interested peer waits for a slot it is choked and
 * the slot goes to the one waiting (checked every {@link SLOT_CHECK_MS}),
 * and it holds no slot at a choking round; after {@link UNREAD_DROP_MS} it
 * is dropped. A reader on a slow link still takes a little every moment.
 */
export const UNREAD_CHOKE_MS = 2_000;
/** How often slots held by peers that do not read are given to peers waiting. */
export const SLOT_CHECK_MS = 1_000;
/** See {@link UNREAD_CHOKE_MS}. */
export const UNREAD_DROP_MS = 60_000;
/**
 * Addresses kept to connect to later, at most: peer sources and peer
 * exchange may name more peers than there is room for now, and each is
 * dialled as a connection attempt ends or a peer leaves.
 */
export const MAX_CANDIDATES = 1_000;
/** `have` messages kept from a peer before the metadata tells how many pieces there are. */
const MAX_EARLY_HAVES = 1 << 16;

/** A stream whose handshake is done, with what the peer said and any bytes after it. */
export interface Handshaken {
  readonly stream: PeerStream;
  readonly handshake: Handshake;
  readonly leftover: Uint8Array;
  /** RC4 carries the stream (message stream encryption). */
  readonly encrypted?: boolean;
}

/** How a session behaves. */
export interface SessionOptions {
  readonly peerId: Uint8Array;
  /** Our client name and version, told to peers in the extension handshake (`v`). */
  readonly clientName: string;
  /** Opens a connection to a peer and exchanges handshakes (the Client's transport). */
  readonly dial?: (endpoint: Endpoint) => Promise<Handshaken>;
  readonly clock?: Clock;
  /** Random numbers in [0, 1): the first piece dealt, optimistic unchokes. */
  readonly random?: () => number;
  readonly uploadSlots?: number;
  readonly maxPeers?: number;
  readonly maxStrikes?: number;
  /** The process's upload limit, shared by every torrent. */
  readonly uploadLimiter?: RateLimiter;
  /** The process's download limit, shared by every torrent: reads from peers pause to keep it. */
  readonly downloadLimiter?: RateLimiter;
  /** BEP 10 extensions this session speaks. */
  readonly extensions?: readonly ExtensionFactory[];
  /** Base-protocol features beside the session (the DHT's PORT message). */
  readonly peerPlugins?: readonly PeerPlugin[];
  /** The port peers reach us on (told in the extension handshake, and kept out of peer exchange). */
  readonly listenPort?: () => number;
  /**
   * The info dictionary, fetched from peers (BEP 9) and checked against the
   * info hash, for a session started without it: the owner opens the data
   * and calls {@link TorrentSession.setMetadata}.
   */
  readonly onMetadata?: (info: TorrentInfo) => void;
  /** One line per notable event, for people. */
  readonly log?: (line: string) => void;
  /** Called after each verified downloaded piece, with the addresses of the peers that sent it. */
  readonly onPiece?: (index: number, from: string[]) => void;
  /**
   * Deal pieces in order from the first wanted one (for playing while
   * downloading), not from a random piece.
   */
  readonly sequential?: boolean;
}

/** A session's figures for status lines and summaries. */
export interface SessionStats {
  readonly peers: number;
  readonly verifiedPieces: number;
  /** Bytes of verified pieces. */
  readonly verifiedBytes: number;
  /** Pieces of the torrent; 0 until its metadata is known. */
  readonly pieceCount: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly failedPieces: number;
}

/** The parts a session has once it knows its torrent's metadata. */
interface Parts {
  readonly info: TorrentInfo;
  readonly store: PieceStore;
  readonly have: Bitfield;
  /** The pieces to download: those of the selected files (every piece by default). */
  readonly wanted: Bitfield;
  readonly scheduler: DownloadScheduler;
  readonly uploads: UploadSide;
}

/**
 * One torrent's swarm, seeding and downloading alike. A seeder is a session
 * whose bitfield is full; a downloader starts with what the recheck found
 * and fills it, serving its verified pieces meanwhile. A session may start
 * from its info hash alone: until {@link setMetadata} it connects to peers,
 * keeps their handshakes and bitfields for later checking, and asks for
 * nothing.
 *
 * The session dispatches messages and owns the torrent's state (the
 * verified bitfield, the peer records); its parts do one job each: the
 * download scheduler deals pieces and fills pipelines, the upload side
 * serves, the choker picks who is unchoked, the piece writer verifies and
 * writes, the extension registry routes BEP 10 messages. A piece bit is set
 * only after the piece matched its hash and was written, so no peer is ever
 * served unverified data.
 */
export class TorrentSession {
  readonly peers = new Map<number, Peer>();
  readonly #clock: Clock;
  readonly #choker: Choker;
  readonly #reputation: Reputation;
  readonly #extensions: ExtensionRegistry;
  /** Addresses connected or being connected to: never twice at once. */
  readonly #addresses = new Set<string>();
  /** Addresses to connect to when there is room, oldest first, by address. */
  readonly #toDial = new Map<string, Endpoint>();
  /** Peers that could not be reached, dialled again later while we still want peers. */
  readonly #redials: Redials;
  readonly #bytesFrom = new Map<string, number>();
  readonly #timers: Timer[] = [];
  /** Readers waiting for pieces ({@link whenPieces}), by piece. */
  readonly #pieceWaiters = new Map<number, PromiseWithResolvers<void>[]>();
  #parts: Parts | undefined;
  #connecting = 0;
  #uploadedBefore = 0;
  #downloadedBefore = 0;
  #failedPieces = 0;
  #lastPeerTrouble: string | undefined;
  #verifiedBytes = 0;
  /** Wanted pieces not yet verified, and their bytes. */
  #missing = 0;
  #missingBytes = 0;
  #wantedBytes = 0;
  #closed = false;
  #completion = Promise.withResolvers<void>();
  /** The completion of the current selection has resolved: its files carry their final names. */
  #finished = false;
  readonly #failure = Promise.withResolvers<never>();

  /**
   * @example
   * ```ts
   * const session = new TorrentSession(torrent.infoHash, { peerId, clientName: "p2p/0.1.0" });
   * session.setMetadata(torrent, storage, verified);
   * ```
   */
  constructor(readonly infoHash: InfoHash, readonly options: SessionOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#redials = new Redials(this.#clock, (endpoint) => {
      if (this.wantsPeers) this.connect([endpoint]);
    });
    this.#choker = new Choker(options.uploadSlots ?? DEFAULT_UPLOAD_SLOTS, options.random);
    this.#reputation = new Reputation(options.maxStrikes ?? DEFAULT_MAX_STRIKES);
    // deno-lint-ignore no-this-alias -- the context's getters read the session as it is then
    const session = this;
    this.#extensions = new ExtensionRegistry(options.extensions ?? [], {
      infoHash,
      get info() {
        return session.info;
      },
      get peers() {
        return session.peers.values();
      },
      get complete() {
        return session.complete;
      },
      clock: this.#clock,
      get listenPort() {
        return options.listenPort?.();
      },
      addPeers: (endpoints) => this.connect(endpoints),
      metadataFound: (info) => {
        if (!this.#parts && !this.#closed) options.onMetadata?.(info);
      },
      fail: (error) => this.#fail(error),
      log: (line) => this.#log(line),
    });
    this.#failure.promise.catch(() => {});
    this.#timers.push(this.#clock.every(CHOKE_INTERVAL_MS, () => this.#chokeRound()));
    this.#timers.push(this.#clock.every(SLOT_CHECK_MS, () => this.#freeUnreadSlots()));
    this.#timers.push(
      this.#clock.every(
        STALL_TIMEOUT_MS / 3,
        () => this.#parts?.scheduler.checkStalls(this.#now()),
      ),
    );
  }

  #now(): number {
    return this.#clock.now();
  }

  #log(line: string): void {
    this.options.log?.(line);
  }

  /** The torrent's info dictionary, once known. */
  get info(): TorrentInfo | undefined {
    return this.#parts?.info;
  }

  /** Verified pieces, once the metadata is known. */
  get have(): Bitfield | undefined {
    return this.#parts?.have;
  }

  /** The torrent's name, or its info hash while the metadata is unknown. */
  get name(): string {
    return this.#parts?.info.name ?? this.infoHash.hex;
  }

  /** True when every wanted piece (every piece, unless files were selected) is verified. */
  get complete(): boolean {
    return this.#parts !== undefined && this.#missing === 0;
  }

  /**
   * True once complete and the files have taken their final names (a
   * `.part` file is renamed just after the last piece is verified): what a
   * user is told is done.
   */
  get finished(): boolean {
    return this.complete && this.#finished;
  }

  /** The pieces to download, once the metadata is known. */
  get wanted(): Bitfield | undefined {
    return this.#parts?.wanted;
  }

  /** Bytes of wanted pieces not yet verified: what announces report as `left`. */
  get bytesLeft(): number | undefined {
    return this.#parts && this.#missingBytes;
  }

  /** Bytes of the wanted pieces, verified or not: the size of the selection's download. */
  get wantedBytes(): number | undefined {
    return this.#parts && this.#wantedBytes;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when every wanted piece is verified; rejects if storage fails (disk full, ...). */
  whenComplete(): Promise<void> {
    return Promise.race([this.#completion.promise, this.#failure.promise]);
  }

  /** Rejects when the session cannot go on (storage failure). */
  get failed(): Promise<never> {
    return this.#failure.promise;
  }

  /** Bytes downloaded from each peer address (verified pieces only). */
  get bytesFromPeers(): ReadonlyMap<string, number> {
    return this.#bytesFrom;
  }

  /** Current figures. */
  stats(): SessionStats {
    let downloadRate = 0;
    let uploadRate = 0;
    let downloaded = this.#downloadedBefore;
    let uploaded = this.#uploadedBefore;
    for (const { connection } of this.peers.values()) {
      downloadRate += connection.downloaded.rate();
      uploadRate += connection.uploaded.rate();
      downloaded += connection.downloaded.total;
      uploaded += connection.uploaded.total;
    }
    return {
      peers: this.peers.size,
      verifiedPieces: this.#parts?.have.count ?? 0,
      verifiedBytes: this.#verifiedBytes,
      pieceCount: this.#parts?.info.pieceCount ?? 0,
      downloaded,
      uploaded,
      downloadRate,
      uploadRate,
      failedPieces: this.#failedPieces,
    };
  }

  // ---- metadata ----

  /**
   * The torrent's metadata is known, its data opened and rechecked
   * (`verified`: one byte per piece, non-zero when the piece on disk
   * matched). Peers that connected before it are checked against it now:
   * bitfields and haves that do not fit the torrent close their connection.
   * `wanted` (one byte per piece, non-zero: download it) limits the
   * download to the pieces of the selected files.
   *
   * @throws {Error} when the metadata is for another torrent or already set.
   */
  setMetadata(
    info: TorrentInfo,
    store: PieceStore,
    verified: Uint8Array,
    wanted?: Uint8Array,
  ): void {
    if (this.#parts) throw new Error("the session already has its metadata");
    if (!info.infoHash.equals(this.infoHash)) {
      throw new Error(`metadata of ${info.infoHash.hex} for session ${this.infoHash.hex}`);
    }
    const have = new Bitfield(info.pieceCount);
    verified.forEach((ok, index) => {
      if (!ok) return;
      have.set(index);
      this.#verifiedBytes += pieceSize(info, index);
    });
    const wantedPieces = wantedBitfield(info.pieceCount, wanted);
    const writer = new PieceWriter(info, store);
    const firstWanted = Math.max(0, firstSet(wantedPieces));
    const scheduler = new DownloadScheduler(
      info,
      have,
      this.peers,
      writer,
      {
        onVerified: (index, from) => this.#pieceVerified(index, from),
        onFailed: (index, culprits) => this.#pieceFailed(index, culprits),
        onBlamed: (index, culprits) => {
          this.#log(
            `piece ${index}: ${culprits.map((c) => c.address).join(", ")} sent wrong blocks`,
          );
          this.#strike(culprits);
        },
        onError: (error) => this.#fail(error),
        log: (line) => this.#log(line),
      },
      this.options.sequential
        ? firstWanted
        : Math.floor((this.options.random ?? Math.random)() * Math.max(1, info.pieceCount)),
      wantedPieces,
      this.options.random,
    );
    // In order from the first selected piece, as a reader there would be served.
    if (this.options.sequential) scheduler.focus(firstWanted);
    const uploads = new UploadSide(
      info,
      store,
      have,
      this.options.uploadLimiter,
      (error) => this.#fail(error),
      () => this.#now(),
    );
    this.#parts = { info, store, have, wanted: wantedPieces, scheduler, uploads };
    this.#countMissing(this.#parts);
    if (this.complete) this.#completed(this.#parts);
    for (const peer of [...this.peers.values()]) this.#welcome(peer, this.#parts, "late");
    this.#extensions.metadataKnown(info);
  }

  /**
   * Brings a peer into the torrent's parts: its pieces checked, ours told,
   * interest set. A peer that connected before the metadata has had other
   * messages from us already, and BEP 3 allows a bitfield only first: it is
   * told our pieces one `have` at a time.
   */
  #welcome(peer: Peer, parts: Parts, when: "on connect" | "late"): void {
    const { info, have, scheduler } = parts;
    try {
      peer.have = peer.hasAll
        ? Bitfield.full(info.pieceCount)
        : peer.have
        ? Bitfield.fromPayload(peer.have.bytes, info.pieceCount)
        : new Bitfield(info.pieceCount);
      for (const index of peer.earlyHaves) {
        fitToGeometry({ type: "have", index }, info);
        peer.have.set(index);
      }
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      peer.close(`protocol violation: ${error.message}`);
      return;
    }
    peer.earlyHaves.clear();
    peer.connection.limitMessageLength(messageLengthLimit(info));
    scheduler.addPeer(peer);
    if (when === "on connect") {
      const pieces = piecesMessage(peer, have);
      if (pieces) peer.send(pieces);
    } else {
      for (let index = 0; index < have.size; index++) {
        if (have.has(index)) peer.send({ type: "have", index });
      }
    }
    welcomeFast(peer, info, have);
    this.#countWanted(peer, have);
    this.#updateInterest(peer);
  }

  /**
   * Changes which pieces to download, on a running torrent (a new file
   * selection): peers are told our interest anew and asked for the pieces
   * now wanted; a selection that is already here completes at once, and one
   * that widens a completed download makes {@link whenComplete} wait again.
   *
   * @throws {Error} before the metadata is known.
   */
  setWanted(wanted: Uint8Array): void {
    const parts = this.#parts;
    if (!parts) throw new Error("the session does not know its torrent's pieces yet");
    const wasComplete = this.complete;
    for (let index = 0; index < parts.wanted.size; index++) {
      if (wanted[index]) parts.wanted.set(index);
      else parts.wanted.clear(index);
    }
    this.#countMissing(parts);
    if (wasComplete && !this.complete) {
      this.#completion = Promise.withResolvers<void>();
      this.#finished = false;
    }
    for (const peer of this.peers.values()) {
      if (!peer.have) continue;
      this.#countWanted(peer, parts.have);
      this.#updateInterest(peer);
    }
    if (this.complete && !wasComplete) this.#completed(parts);
    else parts.scheduler.wantedChanged();
  }

  /**
   * Resolves once pieces `first` to `last` are all verified, asking for
   * the first missing one before anything else and dealing on in order
   * from there (a stream's reader). Rejects if a piece is not wanted (not
   * in the selection), or the session fails or closes.
   *
   * @example
   * ```ts
   * await session.whenPieces(10, 12);
   * ```
   */
  async whenPieces(first: number, last: number): Promise<void> {
    const parts = this.#parts;
    if (!parts) throw new Error("the session does not know its torrent's pieces yet");
    for (let index = first; index <= last; index++) {
      if (parts.have.has(index)) continue;
      if (!parts.wanted.has(index)) throw new Error(`piece ${index} is not selected`);
      if (this.#closed) throw new Error("the session is closed");
      const waiter = Promise.withResolvers<void>();
      const waiters = this.#pieceWaiters.get(index) ?? [];
      waiters.push(waiter);
      this.#pieceWaiters.set(index, waiters);
      parts.scheduler.focus(index);
      await Promise.race([waiter.promise, this.#failure.promise]);
    }
  }

  #countMissing({ info, have, wanted }: Parts): void {
    this.#missing = 0;
    this.#missingBytes = 0;
    this.#wantedBytes = 0;
    for (let index = 0; index < info.pieceCount; index++) {
      if (!wanted.has(index)) continue;
      this.#wantedBytes += pieceSize(info, index);
      if (have.has(index)) continue;
      this.#missing++;
      this.#missingBytes += pieceSize(info, index);
    }
  }

  /** Every wanted piece is here: the files take their final names, then completion is told. */
  #completed(parts: Parts): void {
    const completion = this.#completion;
    parts.store.sync().then(() => parts.store.complete?.()).then(
      () => {
        // A selection widened meanwhile has a completion of its own to wait for.
        if (completion === this.#completion) this.#finished = true;
        completion.resolve();
      },
      (error) => this.#fail(error),
    );
    for (const peer of this.peers.values()) this.#setInterest(peer, false);
  }

  // ---- peers ----

  /**
   * Takes a connection whose handshake is done, accepted (`in`) or dialled
   * by us (`out`: its address takes connections, which peer exchange tells).
   *
   * @example
   * ```ts
   * session.attach({ stream, handshake, leftover });
   * ```
   */
  attach(
    { stream, handshake, leftover, encrypted }: Handshaken,
    direction: "in" | "out" = "in",
  ): void {
    const address = formatEndpoint(stream.remote);
    const reject = (why: string) => {
      stream.close();
      this.#lastPeerTrouble = `refused ${address}: ${why}`;
      this.#log(this.#lastPeerTrouble);
    };
    if (this.#closed) return reject("shutting down");
    if (sameBytes(handshake.peerId, this.options.peerId)) return reject("that is ourselves");
    const twin = [...this.peers.values()].find((peer) => sameBytes(peer.peerId, handshake.peerId));
    if (twin) {
      if (!this.#replacesTwin(twin, direction)) return reject("connected to that peer already");
      twin.close("replaced by a second connection to the same peer");
    }
    if (!isLoopback(stream.remote.ip)) {
      let fromThere = 0;
      for (const peer of this.peers.values()) {
        if (peer.endpoint.ip === stream.remote.ip) fromThere++;
      }
      if (fromThere >= MAX_PEERS_PER_IP) {
        return reject(`${MAX_PEERS_PER_IP} connections from that address already`);
      }
    }
    if (this.peers.size >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS) && !this.#makeRoom()) {
      return reject("too many peers");
    }
    const connection = new PeerConnection(stream, this.#clock, this.options.downloadLimiter);
    const peer = new Peer(
      connection,
      stream.remote,
      handshake.peerId,
      handshake.reserved,
      this.#now(),
    );
    if (this.#reputation.isBanned(peer.identity)) return reject("banned for corrupt data");
    peer.outgoing = direction === "out";
    peer.encrypted = encrypted === true;
    peer.via = stream.via;
    this.#log(
      `${peer.address}: connected ${direction === "out" ? "to" : "from"}, ` +
        (peer.encrypted ? "encrypted (RC4)" : "plaintext") +
        (stream.via ? ` over ${stream.via}` : ""),
    );
    if (this.options.log) this.#log(`${peer.address}: peer id ${describePeerId(peer.peerId)}`);
    this.#addresses.add(address);
    this.peers.set(peer.id, peer);
    // The bitfield goes first (BEP 3 allows it nowhere else), then the extension handshake.
    // A Fast peer must hear have-none at least (BEP 6); our pieces follow as haves.
    if (this.#parts) this.#welcome(peer, this.#parts, "on connect");
    else if (peer.fast) peer.send({ type: "have-none" });
    if (supportsExtensionProtocol(handshake.reserved)) {
      peer.send(this.#extensions.handshake(peer, MAX_QUEUED_REQUESTS, this.options.clientName));
    }
    for (const plugin of this.options.peerPlugins ?? []) plugin.onConnect?.(peer);
    connection.start(leftover, {
      onMessages: (messages) => this.#onMessages(peer, messages),
      onClose: (reason) => this.#onClose(peer, reason),
    });
  }

  /**
   * Two peers that learn of each other (peer exchange) may dial each other
   * at once, and each side then holds two connections. Both sides keep the
   * same one: the connection dialled by the peer with the greater peer id.
   */
  #replacesTwin(twin: Peer, direction: "in" | "out"): boolean {
    if (twin.outgoing === (direction === "out")) return false;
    const ours = this.options.peerId;
    const dialledByUs = direction === "out";
    return compareBytes(ours, twin.peerId) > 0 ? dialledByUs : !dialledByUs;
  }

  /** Closes the peer idle the longest, if one has been idle long enough; true if it did. */
  #makeRoom(): boolean {
    const now = this.#now();
    let idlest: Peer | undefined;
    for (const peer of this.peers.values()) {
      if (peer.peerInterested || peer.amInterested || now - peer.lastDataAt < IDLE_EVICTION_MS) {
        continue;
      }
      if (!idlest || peer.lastDataAt < idlest.lastDataAt) idlest = peer;
    }
    idlest?.close("idle: made room for a newcomer");
    return idlest !== undefined;
  }

  /**
   * Connects to peers a peer source found, as the connection limits allow:
   * those there is no room for yet wait (up to {@link MAX_CANDIDATES}) and
   * are dialled as attempts end and peers leave.
   *
   * @example
   * ```ts
   * session.connect([{ ip: "127.0.0.1", port: 6881 }]);
   * ```
   */
  connect(endpoints: readonly Endpoint[]): void {
    if (!this.options.dial || this.#closed) return;
    for (const endpoint of endpoints) {
      const address = formatEndpoint(endpoint);
      if (this.#toDial.size >= MAX_CANDIDATES) break;
      if (this.#addresses.has(address) || this.#reputation.isBanned(endpoint.ip)) continue;
      this.#toDial.set(address, endpoint);
    }
    this.#dialCandidates();
  }

  /** Dials waiting candidates while there is room. */
  #dialCandidates(): void {
    const dial = this.options.dial;
    if (!dial || this.#toDial.size === 0) return;
    // A peer that connected to us is listed by others under its listening port: not dialled again.
    const listening = new Set<string>();
    for (const peer of this.peers.values()) {
      if (peer.listenEndpoint) listening.add(formatEndpoint(peer.listenEndpoint));
    }
    for (const [address, endpoint] of this.#toDial) {
      if (
        this.#closed || this.#connecting >= MAX_CONNECTING ||
        this.peers.size + this.#connecting >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS)
      ) return;
      this.#toDial.delete(address);
      if (
        this.#addresses.has(address) || listening.has(address) ||
        this.#reputation.isBanned(endpoint.ip)
      ) continue;
      this.#addresses.add(address);
      this.#connecting++;
      dial(endpoint)
        .then((connected) => {
          this.#addresses.delete(address);
          this.#redials.reached(address);
          this.attach(connected, "out");
        })
        .catch((error) => {
          this.#addresses.delete(address);
          const retry = this.wantsPeers ? this.#redials.failed(address, endpoint) : undefined;
          const why = error instanceof Error ? error.message : String(error);
          this.#lastPeerTrouble = `could not connect to ${address}: ${why}`;
          this.#log(
            `${this.#lastPeerTrouble}${retry ? `; trying again in ${retry / 1000} s` : ""}`,
          );
        })
        .finally(() => {
          this.#connecting--;
          this.#dialCandidates();
        });
    }
  }

  /**
   * What last went wrong with a peer (a dial that failed, a connection
   * refused or closed), for a command that found no peers to say why.
   */
  get lastPeerTrouble(): string | undefined {
    return this.#lastPeerTrouble;
  }

  /** True when the session wants more peers (it is still downloading and has room). */
  get wantsPeers(): boolean {
    return !this.complete && this.peers.size < (this.options.maxPeers ?? DEFAULT_MAX_PEERS);
  }

  #onMessages(peer: Peer, messages: Message[]): void {
    const parts = this.#parts;
    for (const received of messages) {
      if (peer.closed) return;
      if (!peer.fast && isFastMessage(received)) {
        peer.close(`protocol violation: ${received.type} without the Fast extension`);
        return;
      }
      let message = received;
      if (parts) {
        try {
          message = fitToGeometry(received, parts.info);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          peer.close(`protocol violation: ${error.message}`);
          return;
        }
        this.#handle(peer, message, parts);
      } else {
        this.#handleEarly(peer, message);
      }
    }
  }

  /** A message before the metadata is known: remember what peers have, serve and ask nothing. */
  #handleEarly(peer: Peer, message: Message): void {
    switch (message.type) {
      case "choke":
      case "unchoke":
        peer.peerChoking = message.type === "choke";
        break;
      case "interested":
      case "not-interested":
        peer.peerInterested = message.type === "interested";
        break;
      case "bitfield":
        peer.have = message.bitfield;
        break;
      case "have":
        if (peer.earlyHaves.size < MAX_EARLY_HAVES) peer.earlyHaves.add(message.index);
        break;
      case "have-all":
        peer.hasAll = true;
        break;
      case "allowed-fast":
        rememberAllowedFast(peer, message.index);
        break;
      case "reject":
        // Nothing was asked before the metadata.
        unaskedReject(peer);
        break;
      case "extended":
        this.#extensions.receive(peer, message.extendedId, message.payload);
        break;
      default:
        this.#toPlugins(peer, message);
        break;
    }
  }

  /** A message the session has no use for, for the plugins that may. */
  #toPlugins(peer: Peer, message: Message): void {
    for (const plugin of this.options.peerPlugins ?? []) plugin.onMessage?.(peer, message);
  }

  #handle(peer: Peer, message: Message, parts: Parts): void {
    const { have, scheduler, uploads } = parts;
    switch (message.type) {
      case "choke":
        peer.peerChoking = true;
        scheduler.choked(peer);
        break;
      case "unchoke":
        peer.peerChoking = false;
        scheduler.fill(peer);
        break;
      case "interested":
        peer.peerInterested = true;
        this.#unchokeIfFree(peer);
        break;
      case "not-interested":
        peer.peerInterested = false;
        break;
      case "have":
        if (
          !peer.have!.has(message.index) && !have.has(message.index) &&
          parts.wanted.has(message.index)
        ) peer.wanted++;
        scheduler.peerHas(peer, message.index);
        peer.have!.set(message.index);
        this.#updateInterest(peer);
        break;
      case "bitfield":
      case "have-all":
      case "have-none":
        peer.have = message.type === "bitfield"
          ? message.bitfield
          : message.type === "have-all"
          ? Bitfield.full(have.size)
          : new Bitfield(have.size);
        scheduler.peerBitfield(peer, peer.have);
        this.#countWanted(peer, have);
        this.#updateInterest(peer);
        break;
      case "request":
        uploads.request(peer, message);
        break;
      case "cancel":
        uploads.cancel(peer, message);
        break;
      case "piece":
        scheduler.received(peer, message.index, message.begin, message.block, this.#now());
        break;
      case "reject":
        scheduler.rejected(peer, message);
        break;
      case "allowed-fast":
        scheduler.allowedFast(peer, message.index);
        break;
      case "extended":
        this.#extensions.receive(peer, message.extendedId, message.payload);
        break;
      default:
        // Suggestions (BEP 6, advisory: kept nowhere), BEP 52 hashes; DHT ports go to plugins.
        this.#toPlugins(peer, message);
        break;
    }
  }

  #onClose(peer: Peer, reason: string): void {
    this.peers.delete(peer.id);
    this.#addresses.delete(peer.address);
    this.#extensions.closed(peer);
    this.#uploadedBefore += peer.connection.uploaded.total;
    this.#downloadedBefore += peer.connection.downloaded.total;
    if (!this.#closed) {
      this.#lastPeerTrouble = `${peer.address} disconnected: ${reason}`;
      this.#log(this.#lastPeerTrouble);
    }
    // A freed upload slot goes to another peer; the optimistic rotation keeps its pace.
    if (!peer.amChoking && peer.peerInterested) {
      this.#applyChoking(this.#choker.refill(this.#candidates()));
    }
    this.#parts?.scheduler.removePeer(peer);
    this.#dialCandidates();
  }

  // ---- interest and choking ----

  #setInterest(peer: Peer, interested: boolean): void {
    if (peer.amInterested === interested) return;
    peer.amInterested = interested;
    peer.send({ type: interested ? "interested" : "not-interested" });
  }

  /** Counts the wanted pieces a peer has that we lack: once per bitfield, then kept up to date. */
  #countWanted(peer: Peer, have: Bitfield): void {
    const wantedPieces = this.#parts?.wanted;
    let wanted = 0;
    for (let index = 0; index < have.size; index++) {
      if (peer.have!.has(index) && !have.has(index) && wantedPieces?.has(index) !== false) {
        wanted++;
      }
    }
    peer.wanted = wanted;
  }

  #updateInterest(peer: Peer): void {
    this.#setInterest(peer, !this.complete && peer.wanted > 0);
  }

  #unchokeIfFree(peer: Peer): void {
    if (!peer.amChoking) return;
    let unchoked = 0;
    for (const other of this.peers.values()) if (!other.amChoking) unchoked++;
    if (unchoked < this.#choker.slots) this.#setChoke(peer, false);
  }

  /** Slots held by peers that read nothing go to interested peers that wait for one. */
  #freeUnreadSlots(): void {
    if (this.peers.size === 0) return;
    const now = this.#now();
    const waiting = [...this.peers.values()].filter((peer) =>
      peer.amChoking && peer.peerInterested && peer.connection.sendStalledFor(now) < UNREAD_CHOKE_MS
    );
    for (const holder of this.peers.values()) {
      if (waiting.length === 0) return;
      if (holder.amChoking || holder.connection.sendStalledFor(now) < UNREAD_CHOKE_MS) continue;
      this.#setChoke(holder, true);
      this.#setChoke(waiting.shift()!, false);
    }
  }

  #setChoke(peer: Peer, choke: boolean): void {
    if (peer.amChoking === choke) return;
    peer.amChoking = choke;
    peer.send({ type: choke ? "choke" : "unchoke" });
    if (choke) this.#parts?.uploads.choked(peer);
  }

  #candidates(): ChokeCandidate[] {
    // Nothing to serve before the metadata: nobody is unchoked.
    if (!this.#parts) return [];
    const seeding = this.complete;
    const now = this.#now();
    return [...this.peers.values()].map((peer) => ({
      id: peer.id,
      // A peer that does not read what we send holds no slot.
      interested: peer.peerInterested &&
        peer.connection.sendStalledFor(now) < UNREAD_CHOKE_MS,
      rate: seeding ? peer.connection.uploaded.rate() : peer.connection.downloaded.rate(),
    }));
  }

  #chokeRound(): void {
    const now = this.#now();
    for (const peer of [...this.peers.values()]) {
      const unread = peer.connection.sendStalledFor(now);
      if (unread >= UNREAD_DROP_MS) {
        peer.close(`read nothing we sent for ${Math.round(unread / 1000)} s`);
      }
    }
    this.#applyChoking(this.#choker.round(this.#candidates()));
  }

  #applyChoking(unchoke: Set<number>): void {
    for (const peer of this.peers.values()) this.#setChoke(peer, !unchoke.has(peer.id));
  }

  // ---- pieces ----

  #pieceVerified(index: number, from: Contributor[]): void {
    const parts = this.#parts!;
    if (this.#closed) return;
    parts.have.set(index);
    const size = pieceSize(parts.info, index);
    this.#verifiedBytes += size;
    const wanted = parts.wanted.has(index);
    if (wanted) {
      this.#missing--;
      this.#missingBytes -= size;
    }
    const share = size / Math.max(1, from.length);
    for (const { address } of from) {
      this.#bytesFrom.set(address, (this.#bytesFrom.get(address) ?? 0) + share);
    }
    this.options.onPiece?.(index, from.map((contributor) => contributor.address));
    for (const waiter of this.#pieceWaiters.get(index) ?? []) waiter.resolve();
    this.#pieceWaiters.delete(index);
    for (const peer of this.peers.values()) {
      peer.send({ type: "have", index });
      offerAllowedFast(peer, index, parts.have);
      if (wanted && peer.have?.has(index)) {
        peer.wanted--;
        this.#updateInterest(peer);
      }
      parts.scheduler.fill(peer);
    }
    if (wanted && this.#missing === 0) this.#completed(parts);
  }

  #pieceFailed(index: number, culprits: Contributor[]): void {
    this.#failedPieces++;
    this.#log(
      `piece ${index} failed its hash check; discarded` +
        (culprits.length === 0
          ? " (several peers sent it: fetching it from one to find who lied)"
          : ""),
    );
    this.#strike(culprits);
  }

  /** Strikes go to who sent the blocks, whether or not they are still connected. */
  #strike(culprits: Contributor[]): void {
    for (const identity of new Set(culprits.map((culprit) => culprit.identity))) {
      const strikes = this.#reputation.strike(identity);
      if (!this.#reputation.isBanned(identity)) continue;
      for (const peer of this.peers.values()) {
        if (peer.identity === identity) {
          peer.close(`dropped: sent ${strikes} pieces that failed their hash`);
        }
      }
    }
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure.reject(error);
  }

  /** Closes every connection, stops the timers and closes the data. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) timer.cancel();
    this.#toDial.clear();
    this.#redials.close();
    this.#extensions.stop();
    for (const peer of [...this.peers.values()]) peer.close("session closed");
    for (const waiters of this.#pieceWaiters.values()) {
      for (const waiter of waiters) waiter.reject(new Error("the session is closed"));
    }
    this.#pieceWaiters.clear();
    await this.#parts?.store.close();
  }
}

/** The first piece set in a bitfield, or -1. */
function firstSet(bitfield: Bitfield): number {
  for (let index = 0; index < bitfield.size; index++) if (bitfield.has(index)) return index;
  return -1;
}

/** The wanted pieces as a bitfield: every piece when no mask is given. */
function wantedBitfield(pieceCount: number, wanted: Uint8Array | undefined): Bitfield {
  if (!wanted) return Bitfield.full(pieceCount);
  const bitfield = new Bitfield(pieceCount);
  wanted.forEach((on, index) => on && bitfield.set(index));
  return bitfield;
}

/** Byte-wise order of two byte strings: negative, zero or positive. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
