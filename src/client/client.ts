import { DhtNode, type DhtNodeOptions, routerTransport } from "../dht/mod.ts";
import { DEFAULT_EXTENSIONS } from "../extensions/mod.ts";
import {
  type InfoHash,
  type Metainfo,
  selectionMask,
  type TorrentInfo,
  wantedPieces,
} from "../metainfo/mod.ts";
import {
  type Clock,
  type ExtensionFactory,
  type Handshaken,
  RateLimiter,
  systemClock,
  TorrentSession,
} from "../session/mod.ts";
import {
  dataStamps,
  type PieceStore,
  type ResumeData,
  sameStamps,
  type StorageMode,
  TorrentStorage,
} from "../storage/mod.ts";
import {
  bindUdp,
  closeQuietly,
  DatagramRouter,
  type DatagramSocket,
  type Endpoint,
  formatEndpoint,
  type PeerStream,
  ServedTorrents,
  type StreamListener,
  tcpTransport,
  type Transport,
  TransportError,
  writeAll,
} from "../transport/mod.ts";
import { UtpSocket } from "../transport/utp/mod.ts";
import { encodeHandshake, generatePeerId } from "../wire/mod.ts";
import { DEFAULT_ENCRYPTION, type EncryptionPolicy, type OpeningMemory } from "./encryption.ts";
import { PeerMemory } from "./peer_memory.ts";
import { dhtPortPlugin } from "./dht_port.ts";
import { dhtSource } from "./dht_source.ts";
import { acceptPeer, dialPeer, HANDSHAKE_TIMEOUT_MS } from "./handshake_io.ts";
import type { PeerSource, PeerSourceFactory, PeerSourceStatus, SwarmView } from "./peer_source.ts";
import { trackerSource } from "./tracker_source.ts";
import { TransportChoice } from "./transport_choice.ts";

/**
 * Connections accepted but not yet through their handshake, at most. A
 * newcomer beyond it pushes out the oldest, so connections that never
 * handshake cannot lock everyone out.
 */
export const MAX_PENDING_HANDSHAKES = 64;
/** The handshake timeout while more than half the pending slots are taken. */
export const BUSY_HANDSHAKE_TIMEOUT_MS = 3_000;

/** A torrent's data, opened, with what its recheck found (one byte per piece, non-zero: verified). */
export interface OpenedStore {
  readonly store: PieceStore;
  readonly verified: Uint8Array;
  /**
   * Opened for reading, the pieces found with the files' stamps from before
   * the recheck: nothing of ours writes them, so they stand until someone
   * else does (see {@link ResumeData}).
   */
  readonly resume?: ResumeData;
}

/**
 * How a torrent's data is opened and rechecked: files on disk, or memory in
 * engine tests. `selected` has one flag per file (default: all of them).
 */
export type StoreOpener = (
  info: TorrentInfo,
  directory: string,
  mode: StorageMode,
  check: {
    readonly onProgress?: (bytes: number) => void;
    readonly inline?: boolean;
    /** What the data was when last stopped: trusted if no file changed since. */
    readonly resume?: ResumeData;
  },
  selected?: readonly boolean[],
) => Promise<OpenedStore>;

/**
 * The files below `directory`, rechecked on every core, unless `resume`
 * stamps them all as they are now (compared before opening, which may
 * extend a file).
 */
export const openFiles: StoreOpener = async (info, directory, mode, check, selected) => {
  const { resume } = check;
  const stamps = resume || mode === "read" ? await dataStamps(info, directory) : undefined;
  const unchanged = resume !== undefined && resume.verified.length === info.pieceCount &&
    sameStamps(stamps!, resume.stamps);
  const storage = await TorrentStorage.open(info, directory, mode, selected);
  try {
    if (unchanged) check.onProgress?.(info.totalLength);
    const verified = unchanged
      ? resume.verified.slice()
      : await storage.recheck(check.onProgress, check.inline);
    return {
      store: storage,
      verified,
      resume: mode === "read" ? { verified: verified.slice(), stamps: stamps! } : undefined,
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
};

/** Binds the Client's UDP socket (uTP and the DHT) on `host:port`; tests pass an in-memory one. */
export type DatagramOpener = (host: string, port: number) => DatagramSocket;

/**
 * The rate limits' buckets hold a tenth of a second: a second's burst would
 * let a transfer run 10 % over its limit for its first ten seconds (an
 * upload limit of 400K measured 444 KiB/s that way).
 */
const LIMIT_BURST_SECONDS = 0.1;

/** Tries at binding TCP and UDP on one free port number before giving up. */
const PORT_PAIR_ATTEMPTS = 20;

/** How a Client runs. Everything has a default; tests replace the transport, clock and storage. */
export interface ClientOptions {
  /** Address to listen on for peers (default every address). */
  readonly host?: string;
  /** Port to listen on (0, the default: any free port). */
  readonly port?: number;
  readonly transport?: Transport;
  /**
   * The UDP socket on the listener's port number, shared by uTP and the
   * DHT (default: a real one); `false` binds none.
   */
  readonly datagrams?: DatagramOpener | false;
  /** uTP both ways, on the UDP socket (default on when there is one). */
  readonly utp?: boolean;
  /** TCP both ways (default on); off, the TCP port is not listened on. */
  readonly tcp?: boolean;
  readonly clock?: Clock;
  readonly peerId?: Uint8Array;
  /** Our client name and version (`p2p/0.1.0`), told to peers (`v`). */
  readonly clientName: string;
  /** Upload limit in bytes per second for the whole process; none by default. */
  readonly maxUploadRate?: number;
  /** Download limit in bytes per second for the whole process; none by default. */
  readonly maxDownloadRate?: number;
  /** Message stream encryption, both ways (default `prefer`). */
  readonly encryption?: EncryptionPolicy;
  /** Where torrents find peers (default: their trackers). */
  readonly peerSources?: readonly PeerSourceFactory[];
  /**
   * Runs a Mainline DHT node (BEP 5) on the shared UDP socket: every
   * non-private torrent then finds peers through it too, handshakes carry
   * the DHT bit and PORT messages are exchanged. None by default.
   */
  readonly dht?: DhtNodeOptions;
  /** BEP 10 extensions every torrent speaks (default: ut_metadata and ut_pex). */
  readonly extensions?: readonly ExtensionFactory[];
  readonly openStore?: StoreOpener;
  /** Random numbers in [0, 1) for the engine's choices; tests pass their own. */
  readonly random?: () => number;
  /** One line per notable event, for people (the verbose log). */
  readonly log?: (line: string) => void;
}

/** How one torrent is added. */
export interface AddOptions {
  /** Where its files are, or go. */
  readonly directory: string;
  /** `read` to seed existing data, `write` to download (missing files are created). */
  readonly mode: StorageMode;
  /** Recheck progress, in bytes. */
  readonly onCheckProgress?: (bytes: number) => void;
  /** Recheck partly on this thread (quicker, lighter; blocks it meanwhile). */
  readonly inlineRecheck?: boolean;
  /** The data as it was when this torrent last stopped: no recheck if no file changed since. */
  readonly resume?: ResumeData;
  /** Called after each verified downloaded piece, with the addresses that sent it. */
  readonly onPiece?: (index: number, from: string[]) => void;
  /**
   * For a torrent added by info hash: stop at its metadata, without opening
   * any data (`p2p info MAGNET`).
   */
  readonly metadataOnly?: boolean;
  /**
   * The files to download, by index from 0, once the info dictionary is
   * known (default: every file). A throw (a selection that does not fit the
   * torrent) fails the torrent's {@link ClientTorrent.whenMetadata}.
   */
  readonly select?: (info: TorrentInfo) => readonly number[];
  /** Download pieces in order (to play while downloading), not from a random piece. */
  readonly sequential?: boolean;
}

/** A torrent known by its info hash alone: where its data will go, and its trackers if known. */
export interface InfoHashOnly {
  readonly infoHash: InfoHash;
  /** Tracker tiers (a magnet link's `tr`), possibly none. */
  readonly trackerTiers: readonly (readonly string[])[];
}

/** One torrent the Client holds: its session and the sources that find it peers. */
export class ClientTorrent {
  readonly #options: AddOptions;
  readonly #openStore: StoreOpener;
  readonly #metadata = Promise.withResolvers<TorrentInfo>();
  #store: PieceStore | undefined;
  #resume: ResumeData | undefined;

  constructor(
    readonly infoHash: InfoHash,
    readonly session: TorrentSession,
    readonly sources: readonly PeerSource[],
    options: AddOptions,
    openStore: StoreOpener,
  ) {
    this.#options = options;
    this.#openStore = openStore;
    this.#metadata.promise.catch(() => {});
  }

  /**
   * Resolves with the info dictionary once it is known and the data opened
   * (at once for a torrent added with it); rejects when the metadata from
   * peers is invalid or the data cannot be opened.
   */
  whenMetadata(): Promise<TorrentInfo> {
    return Promise.race([this.#metadata.promise, this.session.failed]);
  }

  /** Metadata fetched from peers (BEP 9): opened as if given, and failures kept for {@link whenMetadata}. */
  metadataFetched(info: TorrentInfo): void {
    if (this.#options.metadataOnly) {
      this.#metadata.resolve(info);
      return;
    }
    this.provideMetadata(info).catch((error) => this.#metadata.reject(error));
  }

  /** Its info dictionary, once known. */
  get info(): TorrentInfo | undefined {
    return this.session.info;
  }

  /**
   * Opened for reading (seeding), what its recheck found with its files'
   * stamps: saved, it lets the next start skip the recheck while nobody
   * changes them.
   */
  get resumeData(): ResumeData | undefined {
    return this.#resume;
  }

  /**
   * The info dictionary of a torrent added by its info hash (from BEP 9
   * metadata exchange, say): its data is opened and rechecked, and the
   * session starts downloading.
   *
   * @throws {Error} when it names another torrent; {@link StorageError} when the files cannot be opened.
   */
  async provideMetadata(info: TorrentInfo): Promise<void> {
    if (!info.infoHash.equals(this.infoHash)) {
      throw new Error(`metadata of ${info.infoHash.hex} for torrent ${this.infoHash.hex}`);
    }
    const chosen = this.#options.select?.(info);
    const selected = selectionMask(info.files.length, chosen);
    const { store, verified, resume } = await this.#openStore(
      info,
      this.#options.directory,
      this.#options.mode,
      {
        onProgress: this.#options.onCheckProgress,
        inline: this.#options.inlineRecheck,
        resume: this.#options.resume,
      },
      chosen && selected,
    );
    // Stopped while its data was rechecked: nothing is left to hand it to.
    if (this.session.closed) {
      await store.close();
      return;
    }
    this.#store = store;
    this.#resume = resume;
    this.session.setMetadata(
      info,
      store,
      verified,
      chosen && wantedPieces(info, info.files, selected),
    );
    this.#metadata.resolve(info);
  }

  /**
   * Changes which files a running torrent downloads (by index from 0):
   * newly selected files are created, and only the pieces they still lack
   * are fetched.
   *
   * @throws {Error} before the metadata is known; {@link StorageError} when a file cannot be created.
   * @example
   * ```ts
   * await torrent.select([0, 2]);
   * ```
   */
  async select(files: readonly number[]): Promise<void> {
    const info = this.session.info;
    if (!info || !this.#store) throw new Error("the torrent's files are not known yet");
    const selected = selectionMask(info.files.length, files);
    await this.#store.select?.(selected);
    this.session.setWanted(wantedPieces(info, info.files, selected));
  }

  /**
   * Reads the torrent's bytes from `offset` on into `target` (counted from
   * the start of the first file), once the pieces holding them are
   * verified: missing ones are asked for first (a stream's reader).
   *
   * @throws {Error} before the metadata is known, for bytes outside the selection, or once stopped;
   * {@link StorageError} when the data cannot be read.
   */
  async read(offset: number, target: Uint8Array): Promise<void> {
    const info = this.session.info;
    if (!info || !this.#store) throw new Error("the torrent's files are not known yet");
    if (target.length === 0) return;
    await this.session.whenPieces(
      Math.floor(offset / info.pieceLength),
      Math.floor((offset + target.length - 1) / info.pieceLength),
    );
    await this.#store.read(offset, target);
  }

  /** Starts looking for peers (a tracker announces `started`); again is harmless. */
  findPeers(): void {
    for (const source of this.sources) source.start();
  }

  /**
   * Why no peers can be found, when every source failed and none ever
   * answered (a tracker that is down, say).
   */
  get unreachable(): string | undefined {
    const statuses: PeerSourceStatus[] = this.sources.map((source) => source.status);
    if (statuses.length === 0 || statuses.some((status) => status.answered)) return undefined;
    return statuses.find((status) => status.lastError)?.lastError;
  }

  /** Stops the sources (announcing `stopped`) and closes the session. */
  async stop(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.stop()));
    await this.session.close();
  }
}

/**
 * The one owner of a process's BitTorrent networking: the listening port
 * shared by every torrent (the info hash in an incoming handshake routes the
 * peer to its session), every torrent's session, the peer sources that find
 * them peers, our peer id and the process's upload limit. Commands ask it
 * to add torrents and render what their sessions report.
 */
export class Client {
  readonly peerId: Uint8Array;
  readonly #torrents = new Map<string, ClientTorrent>();
  readonly #listener: StreamListener;
  /** The UDP socket's datagrams, shared out to uTP and the DHT; none when turned off. */
  readonly datagrams: DatagramRouter | undefined;
  /** How peers are dialled: TCP first, then uTP (see README, "uTP"). */
  readonly #dialer: TransportChoice;
  readonly #utp: UtpSocket | undefined;
  /** The DHT node on that socket, when {@link ClientOptions.dht} asks for one; started at once. */
  readonly dht: DhtNode | undefined;
  readonly #clock: Clock;
  readonly #uploadLimiter: RateLimiter | undefined;
  readonly #downloadLimiter: RateLimiter | undefined;
  /** Accepted streams still in their handshake, oldest first. */
  readonly #pending = new Set<PeerStream>();
  /** The torrents held, for encrypted peers to prove which they want. */
  readonly #served = new ServedTorrents();
  readonly #openings: OpeningMemory = new PeerMemory();
  #closed = false;

  private constructor(
    readonly options: ClientOptions,
    listener: StreamListener,
    udp: DatagramSocket | undefined,
  ) {
    this.peerId = options.peerId ?? generatePeerId(options.clientName.split(/[ /]/).at(-1) ?? "0");
    this.#listener = listener;
    this.datagrams = udp && new DatagramRouter(udp);
    this.#clock = options.clock ?? systemClock;
    const transport = options.transport ?? tcpTransport;
    const dialers = options.tcp === false ? [] : [{
      name: "TCP",
      dial: (endpoint: Endpoint, timeoutMs: number) => transport.dial(endpoint, timeoutMs),
    }];
    if (this.datagrams && options.utp !== false) {
      const utp = this.#utp = new UtpSocket(this.datagrams.socket, {
        clock: this.#clock,
        accept: true,
      });
      this.datagrams.onUtp((bytes, from) => utp.receive(bytes, from));
      dialers.push({ name: "uTP", dial: (endpoint, timeoutMs) => utp.dial(endpoint, timeoutMs) });
      this.#acceptLoop(utp, "uTP");
    }
    this.#dialer = new TransportChoice(dialers);
    this.dht = this.datagrams && options.dht &&
      new DhtNode(routerTransport(this.datagrams), { clock: this.#clock, ...options.dht });
    this.dht?.start().catch(() => {});
    if (options.maxUploadRate) {
      this.#uploadLimiter = new RateLimiter(
        options.maxUploadRate,
        this.#clock,
        LIMIT_BURST_SECONDS,
      );
    }
    if (options.maxDownloadRate) {
      this.#downloadLimiter = new RateLimiter(
        options.maxDownloadRate,
        this.#clock,
        LIMIT_BURST_SECONDS,
      );
    }
    // With TCP off the port number stays ours through the UDP socket; a TCP
    // dial to it is refused at once, so a peer turns to uTP without waiting.
    if (options.tcp === false) listener.close();
    else this.#acceptLoop(listener, "TCP");
  }

  /**
   * A Client listening for peers.
   *
   * @throws {TransportError} when the port is taken or cannot be bound.
   * @example
   * ```ts
   * const client = Client.listen({ port: 6881, clientName: "p2p/0.1.0" });
   * const torrent = await client.add(metainfo, { directory: ".", mode: "read" });
   * torrent.findPeers();
   * ```
   */
  static listen(options: ClientOptions): Client {
    if (options.tcp === false && (options.utp === false || options.datagrams === false)) {
      throw new TransportError("with TCP and uTP both off, no peer could be reached");
    }
    const transport = options.transport ?? tcpTransport;
    const host = options.host ?? "0.0.0.0";
    const openDatagrams = options.datagrams ?? bindUdp;
    if (openDatagrams === false) {
      return new Client(options, transport.listen(host, options.port ?? 0), undefined);
    }
    // One port number for TCP and UDP, as peers and trackers know only one:
    // a free TCP port may have its UDP twin taken, then another is tried.
    for (let attempt = 1;; attempt++) {
      const listener = transport.listen(host, options.port ?? 0);
      try {
        return new Client(options, listener, openDatagrams(host, listener.port));
      } catch (error) {
        listener.close();
        if (options.port || attempt >= PORT_PAIR_ATTEMPTS) throw error;
      }
    }
  }

  /** The port peers reach us on. */
  get port(): number {
    return this.#listener.port;
  }

  /** Every torrent held. */
  get torrents(): Iterable<ClientTorrent> {
    return this.#torrents.values();
  }

  /** The torrent with this info hash, if held. */
  get(infoHash: InfoHash): ClientTorrent | undefined {
    return this.#torrents.get(infoHash.hex);
  }

  /**
   * Opens and rechecks a torrent's data, then serves it (and downloads what
   * is missing, in write mode). Adding a torrent already held returns it.
   * Peers are looked for once {@link ClientTorrent.findPeers} is called.
   *
   * @throws {StorageError} when its files cannot be opened.
   */
  async add(metainfo: Metainfo, options: AddOptions): Promise<ClientTorrent> {
    const held = this.#torrents.get(metainfo.infoHash.hex);
    if (held) return held;
    const torrent = this.#hold(metainfo, options);
    try {
      await torrent.provideMetadata(metainfo);
    } catch (error) {
      this.#torrents.delete(metainfo.infoHash.hex);
      await torrent.session.close();
      throw error;
    }
    return torrent;
  }

  /**
   * Holds a torrent known by its info hash alone: it connects to the peers
   * its sources find and keeps what they say, and asks for nothing until
   * {@link ClientTorrent.provideMetadata}.
   */
  addInfoHash(torrent: InfoHashOnly, options: AddOptions): ClientTorrent {
    return this.#torrents.get(torrent.infoHash.hex) ?? this.#hold(torrent, options);
  }

  /** Makes a torrent's session and sources and routes its peers to it. */
  #hold(torrent: InfoHashOnly, options: AddOptions): ClientTorrent {
    const session = new TorrentSession(torrent.infoHash, {
      peerId: this.peerId,
      clientName: this.options.clientName,
      dial: (endpoint) => this.#dial(endpoint, torrent.infoHash),
      clock: this.#clock,
      random: this.options.random,
      uploadLimiter: this.#uploadLimiter,
      downloadLimiter: this.#downloadLimiter,
      extensions: this.options.extensions ?? DEFAULT_EXTENSIONS,
      peerPlugins: this.dht ? [dhtPortPlugin(this.dht)] : [],
      listenPort: () => this.#listener.port,
      onMetadata: (info) => held.metadataFetched(info),
      log: this.options.log,
      onPiece: options.onPiece,
      sequential: options.sequential,
    });
    const swarm = this.#swarmView(torrent, session);
    const factories = [
      ...this.options.peerSources ?? [trackerSource({ log: this.options.log })],
      ...(this.dht ? [dhtSource(this.dht, this.options.log)] : []),
    ];
    const held: ClientTorrent = new ClientTorrent(
      torrent.infoHash,
      session,
      factories.flatMap((make) => make(swarm) ?? []),
      options,
      this.options.openStore ?? openFiles,
    );
    this.#torrents.set(torrent.infoHash.hex, held);
    this.#served.add(torrent.infoHash);
    return held;
  }

  #swarmView(torrent: InfoHashOnly, session: TorrentSession): SwarmView {
    const listener = this.#listener;
    return {
      infoHash: torrent.infoHash,
      peerId: this.peerId,
      get port() {
        return listener.port;
      },
      get isPrivate() {
        // A .torrent says so at once; a magnet link's torrent once its metadata arrives.
        return session.info?.private ?? ("private" in torrent && torrent.private === true);
      },
      trackerTiers: torrent.trackerTiers,
      // Unknown until the metadata arrives: BEP 3 clients say so with a large `left`.
      left: () => session.bytesLeft ?? Number.MAX_SAFE_INTEGER,
      uploaded: () => session.stats().uploaded,
      downloaded: () => session.stats().downloaded,
      get complete() {
        return session.complete;
      },
      whenComplete: () => session.whenComplete(),
      get wantsPeers() {
        return session.wantsPeers;
      },
      get peerCount() {
        return session.peers.size;
      },
      addPeers: (endpoints) => session.connect(endpoints),
    };
  }

  /**
   * Stops one torrent: its sources say `stopped`, its connections close.
   *
   * @returns false when it was not held.
   */
  async remove(infoHash: InfoHash): Promise<boolean> {
    const torrent = this.#torrents.get(infoHash.hex);
    if (!torrent) return false;
    this.#torrents.delete(infoHash.hex);
    this.#served.delete(infoHash);
    await torrent.stop();
    return true;
  }

  #dial(endpoint: Endpoint, infoHash: InfoHash): Promise<Handshaken> {
    return dialPeer(this.#dialer, endpoint, infoHash, this.peerId, {
      encryption: this.options.encryption,
      memory: this.#openings,
      clock: this.#clock,
      dht: this.dht !== undefined,
    });
  }

  /** Takes the streams of one transport's listener until it closes. */
  #acceptLoop(incoming: AsyncIterable<PeerStream>, name: string): void {
    this.#accept(incoming).catch((error) => {
      if (!this.#closed) {
        this.options.log?.(
          `${name} listener stopped: ${error instanceof Error ? error.message : error}`,
        );
      }
    });
  }

  async #accept(incoming: AsyncIterable<PeerStream>): Promise<void> {
    for await (const stream of incoming) {
      if (this.#pending.size >= MAX_PENDING_HANDSHAKES) {
        const [oldest] = this.#pending;
        this.#pending.delete(oldest);
        closeQuietly(oldest);
      }
      this.#pending.add(stream);
      this.#admit(stream).finally(() => this.#pending.delete(stream));
    }
  }

  /** Reads an incoming peer's handshake and hands it to the session of the torrent it names. */
  async #admit(stream: PeerStream): Promise<void> {
    const address = formatEndpoint(stream.remote);
    try {
      const busy = this.#pending.size > MAX_PENDING_HANDSHAKES / 2;
      const accepted = await acceptPeer(stream, {
        encryption: this.options.encryption ?? DEFAULT_ENCRYPTION,
        torrents: this.#served,
        clock: this.#clock,
        timeoutMs: busy ? BUSY_HANDSHAKE_TIMEOUT_MS : HANDSHAKE_TIMEOUT_MS,
      });
      const { stream: peer, handshake } = accepted;
      const torrent = this.#torrents.get(handshake.infoHash.hex);
      if (!torrent || this.#closed) {
        closeQuietly(peer);
        this.options.log?.(
          `refused ${address}: unknown torrent ${handshake.infoHash.hex.slice(0, 8)}`,
        );
        return;
      }
      await writeAll(peer, encodeHandshake(torrent.infoHash, this.peerId, { dht: !!this.dht }));
      torrent.session.attach(accepted);
    } catch (error) {
      closeQuietly(stream);
      this.options.log?.(`refused ${address}: ${error instanceof Error ? error.message : error}`);
    }
  }

  /** Stops every torrent (their `stopped` announces in parallel) and the listener. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    const torrents = [...this.#torrents.values()];
    this.#torrents.clear();
    // The DHT saves its table before the socket under it closes.
    await Promise.all([...torrents.map((torrent) => torrent.stop()), this.dht?.close()]);
    this.#utp?.close();
    this.datagrams?.socket.close();
  }
}
