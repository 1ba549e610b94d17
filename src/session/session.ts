import { createHash } from "node:crypto";
import { type Metainfo, pieceSize } from "../metainfo/mod.ts";
import type { TorrentStorage } from "../storage/mod.ts";
import type { PeerAddress } from "../tracker/mod.ts";
import {
  Bitfield,
  BLOCK_SIZE,
  extensionHandshake,
  type Message,
  parseExtensionHandshake,
  supportsExtensionProtocol,
} from "../wire/mod.ts";
import {
  CHOKE_INTERVAL_MS,
  chooseUnchoked,
  DEFAULT_UPLOAD_SLOTS,
  OPTIMISTIC_ROUNDS,
  pickOptimistic,
} from "./choker.ts";
import { connectToPeer, type ReceivedHandshake, sameBytes } from "./handshake_io.ts";
import { PeerConnection } from "./peer_connection.ts";
import { UploadCache } from "./upload_cache.ts";
import { type BlockRequest, DEFAULT_PIPELINE_DEPTH, PiecePicker } from "./picker.ts";
import { BufferPool } from "./buffer_pool.ts";
import { RateLimiter } from "./rate_limiter.ts";

/** Most peer connections per torrent. */
export const DEFAULT_MAX_PEERS = 50;
/** Outgoing connection attempts under way at once. */
export const MAX_CONNECTING = 10;
/** Requests a peer may have waiting on us (told to peers as `reqq`, BEP 10); more is flooding. */
export const MAX_QUEUED_REQUESTS = 512;
/** Pieces failing their hash that a peer may send before it is dropped for the session. */
export const DEFAULT_MAX_STRIKES = 2;
/** Verified pieces that may wait for the disk before downloading pauses. */
export const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;
/** A peer that delivers nothing it was asked for this long gives its work back. */
export const STALL_TIMEOUT_MS = 15_000;

/** How a session behaves. */
export interface SessionOptions {
  readonly peerId: Uint8Array;
  readonly uploadSlots?: number;
  readonly maxPeers?: number;
  readonly maxStrikes?: number;
  /** Upload limit in bytes per second, across all peers; none by default. */
  readonly maxUploadRate?: number;
  /** One line per notable event, for people. */
  readonly log?: (line: string) => void;
  /** Called after each verified downloaded piece, with the peers that sent it. */
  readonly onPiece?: (index: number, from: string[]) => void;
}

/** A session's figures for status lines and summaries. */
export interface SessionStats {
  readonly peers: number;
  readonly verifiedPieces: number;
  /** Bytes of verified pieces. */
  readonly verifiedBytes: number;
  readonly pieceCount: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly failedPieces: number;
}

/**
 * One torrent's swarm, seeding and downloading alike. A seeder is a session
 * whose bitfield is full; a downloader starts with what the recheck found
 * and fills it, serving its verified pieces meanwhile.
 *
 * Invariants: the session is the single owner of the torrent's state
 * (bitfield, picker, peers); connections only hand it messages. A piece
 * bit is set only after the piece matched its hash and was written, so no
 * peer is ever served unverified data.
 */
export class TorrentSession {
  readonly have: Bitfield;
  readonly peers = new Map<number, PeerConnection>();
  readonly #picker: PiecePicker;
  readonly #buffers = new Map<number, Uint8Array>();
  /** Piece buffers reused across downloaded pieces: a gigabyte through the same few megabytes. */
  readonly #pool = new BufferPool();
  readonly #cache: UploadCache;
  readonly #requests = new Map<number, BlockRequest[]>();
  readonly #serving = new Set<number>();
  readonly #addresses = new Set<string>();
  readonly #banned = new Set<string>();
  readonly #strikes = new Map<string, number>();
  readonly #stalled = new Set<number>();
  /** Per peer, how many of its pieces we still lack: interest without rescanning bitfields. */
  readonly #wanted = new Map<number, number>();
  readonly #bytesFrom = new Map<string, number>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #connecting = 0;
  #chokeRound = 0;
  #optimistic: number | undefined;
  #uploadedBefore = 0;
  #downloadedBefore = 0;
  #failedPieces = 0;
  #verifiedBytes = 0;
  /** Verified pieces waiting for the disk; past a limit no new blocks are asked for. */
  #unwrittenBytes = 0;
  #closed = false;
  readonly #uploadLimit: RateLimiter | undefined;
  readonly #completion = Promise.withResolvers<void>();
  readonly #failure = Promise.withResolvers<never>();

  /**
   * @example
   * ```ts
   * const session = new TorrentSession(torrent, storage, verified, { peerId });
   * ```
   */
  constructor(
    readonly torrent: Metainfo,
    readonly storage: TorrentStorage,
    verified: Uint8Array,
    readonly options: SessionOptions,
  ) {
    this.have = new Bitfield(torrent.pieceCount);
    verified.forEach((ok, index) => {
      if (!ok) return;
      this.have.set(index);
      this.#verifiedBytes += pieceSize(torrent, index);
    });
    this.#picker = new PiecePicker(
      torrent,
      this.have,
      DEFAULT_PIPELINE_DEPTH,
      Math.floor(Math.random() * Math.max(1, torrent.pieceCount)),
    );
    this.#cache = new UploadCache(
      torrent,
      (offset, target) => storage.read(offset, target),
      (index) => this.have.has(index),
    );
    this.#failure.promise.catch(() => {});
    if (options.maxUploadRate) this.#uploadLimit = new RateLimiter(options.maxUploadRate);
    if (this.have.complete) this.#completion.resolve();
    this.#timers.push(setInterval(() => this.#rechoke(), CHOKE_INTERVAL_MS));
    this.#timers.push(setInterval(() => this.#checkStalls(), STALL_TIMEOUT_MS / 3));
  }

  /** True when every piece is verified. */
  get complete(): boolean {
    return this.have.complete;
  }

  /** Resolves when every piece is verified; rejects if storage fails (disk full, ...). */
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
    for (const peer of this.peers.values()) {
      downloadRate += peer.downloaded.rate();
      uploadRate += peer.uploaded.rate();
      downloaded += peer.downloaded.total;
      uploaded += peer.uploaded.total;
    }
    return {
      peers: this.peers.size,
      verifiedPieces: this.have.count,
      verifiedBytes: this.#verifiedBytes,
      pieceCount: this.torrent.pieceCount,
      downloaded,
      uploaded,
      downloadRate,
      uploadRate,
      failedPieces: this.#failedPieces,
    };
  }

  #log(line: string): void {
    this.options.log?.(line);
  }

  /**
   * Takes a connection whose handshake is done (either direction).
   *
   * @example
   * ```ts
   * session.attach(conn, handshake, "127.0.0.1:51413");
   * ```
   */
  attach(conn: Deno.Conn, handshake: ReceivedHandshake, address: string): void {
    const reject = (why: string) => {
      try {
        conn.close();
      } catch {
        // already closed
      }
      this.#log(`refused ${address}: ${why}`);
    };
    if (this.#closed) return reject("shutting down");
    if (sameBytes(handshake.peerId, this.options.peerId)) return reject("that is ourselves");
    if (this.#banned.has(address)) return reject("banned for corrupt data");
    if (this.peers.size >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS)) {
      return reject("too many peers");
    }
    this.#addresses.add(address);
    const peer = new PeerConnection(conn, this.torrent, address, handshake.peerId, {
      onMessages: (from, messages) => this.#onMessages(from, messages),
      onClose: (from, reason) => this.#onClose(from, reason),
    });
    this.peers.set(peer.id, peer);
    this.#picker.addPeer(peer.id);
    if (this.have.count > 0) peer.send({ type: "bitfield", bitfield: this.have });
    if (supportsExtensionProtocol(handshake.reserved)) {
      peer.send(extensionHandshake(MAX_QUEUED_REQUESTS));
    }
    peer.start(handshake.leftover);
  }

  /**
   * Connects to peers learned from a tracker, up to the connection limits.
   *
   * @example
   * ```ts
   * session.connect(response.peers);
   * ```
   */
  connect(addresses: readonly PeerAddress[]): void {
    for (const { ip, port } of addresses) {
      const address = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
      if (
        this.#closed || this.#addresses.has(address) || this.#banned.has(address) ||
        this.#connecting >= MAX_CONNECTING ||
        this.peers.size + this.#connecting >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS)
      ) continue;
      this.#addresses.add(address);
      this.#connecting++;
      connectToPeer(ip, port, this.torrent.infoHash, this.options.peerId)
        .then(({ conn, handshake }) => {
          this.#addresses.delete(address);
          this.attach(conn, handshake, address);
        })
        .catch((error) => {
          this.#addresses.delete(address);
          this.#log(
            `could not connect to ${address}: ${error instanceof Error ? error.message : error}`,
          );
        })
        .finally(() => this.#connecting--);
    }
  }

  /** True when the session wants more peers (it is still downloading and has room). */
  get wantsPeers(): boolean {
    return !this.complete && this.peers.size < (this.options.maxPeers ?? DEFAULT_MAX_PEERS);
  }

  #onMessages(peer: PeerConnection, messages: Message[]): void {
    for (const message of messages) {
      if (peer.closed) return;
      switch (message.type) {
        case "choke":
          peer.peerChoking = true;
          this.#picker.release(peer.id);
          break;
        case "unchoke":
          peer.peerChoking = false;
          this.#fillRequests(peer);
          break;
        case "interested":
          peer.peerInterested = true;
          this.#unchokeIfFree(peer);
          break;
        case "not-interested":
          peer.peerInterested = false;
          break;
        case "have":
          if (!peer.peerHave.has(message.index) && !this.have.has(message.index)) {
            this.#wanted.set(peer.id, (this.#wanted.get(peer.id) ?? 0) + 1);
          }
          peer.peerHave.set(message.index);
          this.#updateInterest(peer);
          break;
        case "bitfield":
          peer.peerHave = message.bitfield;
          this.#countWanted(peer);
          this.#updateInterest(peer);
          break;
        case "request":
          this.#onRequest(peer, message);
          break;
        case "cancel": {
          const queue = this.#requests.get(peer.id);
          const at = queue?.findIndex((r) =>
            r.index === message.index && r.begin === message.begin && r.length === message.length
          ) ?? -1;
          if (at >= 0) {
            queue!.splice(at, 1);
          }
          break;
        }
        case "piece":
          this.#onBlock(peer, message.index, message.begin, message.block);
          break;
        case "extended": {
          if (message.extendedId !== 0) {
            break;
          }
          const { maxQueuedRequests } = parseExtensionHandshake(message.payload);
          if (maxQueuedRequests) {
            this.#picker.limitPipeline(peer.id, maxQueuedRequests);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  #onClose(peer: PeerConnection, reason: string): void {
    this.peers.delete(peer.id);
    this.#picker.removePeer(peer.id);
    this.#requests.delete(peer.id);
    this.#stalled.delete(peer.id);
    this.#wanted.delete(peer.id);
    this.#addresses.delete(peer.address);
    this.#uploadedBefore += peer.uploaded.total;
    this.#downloadedBefore += peer.downloaded.total;
    if (!this.#closed) this.#log(`${peer.address} disconnected: ${reason}`);
    if (!peer.amChoking && peer.peerInterested) this.#rechoke();
    for (const other of this.peers.values()) this.#fillRequests(other);
  }

  // ---- interest and choking ----

  #setInterest(peer: PeerConnection, interested: boolean): void {
    if (peer.amInterested === interested) return;
    peer.amInterested = interested;
    peer.send({ type: interested ? "interested" : "not-interested" });
  }

  /** Counts the pieces a peer has that we lack: once per bitfield, then kept up to date. */
  #countWanted(peer: PeerConnection): void {
    let wanted = 0;
    for (let index = 0; index < this.torrent.pieceCount; index++) {
      if (peer.peerHave.has(index) && !this.have.has(index)) wanted++;
    }
    this.#wanted.set(peer.id, wanted);
  }

  #updateInterest(peer: PeerConnection): void {
    this.#setInterest(peer, !this.complete && (this.#wanted.get(peer.id) ?? 0) > 0);
  }

  #unchokedCount(): number {
    let count = 0;
    for (const peer of this.peers.values()) if (!peer.amChoking) count++;
    return count;
  }

  #unchokeIfFree(peer: PeerConnection): void {
    if (!peer.amChoking) return;
    if (this.#unchokedCount() < (this.options.uploadSlots ?? DEFAULT_UPLOAD_SLOTS)) {
      this.#setChoke(peer, false);
    }
  }

  #setChoke(peer: PeerConnection, choke: boolean): void {
    if (peer.amChoking === choke) return;
    peer.amChoking = choke;
    peer.send({ type: choke ? "choke" : "unchoke" });
    if (choke) this.#requests.delete(peer.id);
  }

  #rechoke(): void {
    const candidates = [...this.peers.values()].map((peer) => ({
      id: peer.id,
      interested: peer.peerInterested,
      rate: this.complete ? peer.uploaded.rate() : peer.downloaded.rate(),
    }));
    const slots = this.options.uploadSlots ?? DEFAULT_UPLOAD_SLOTS;
    if (this.#chokeRound++ % OPTIMISTIC_ROUNDS === 0) {
      const regular = chooseUnchoked(candidates, slots - 1, undefined);
      this.#optimistic = pickOptimistic(candidates, regular);
    }
    const unchoke = chooseUnchoked(candidates, slots, this.#optimistic);
    for (const peer of this.peers.values()) this.#setChoke(peer, !unchoke.has(peer.id));
  }

  // ---- uploading ----

  #onRequest(peer: PeerConnection, request: BlockRequest): void {
    if (peer.amChoking || !this.have.has(request.index)) return;
    const queue = this.#requests.get(peer.id) ?? [];
    if (queue.length >= MAX_QUEUED_REQUESTS) {
      peer.close(`more than ${MAX_QUEUED_REQUESTS} requests waiting`);
      return;
    }
    queue.push({ index: request.index, begin: request.begin, length: request.length });
    this.#requests.set(peer.id, queue);
    if (!this.#serving.has(peer.id)) {
      this.#serve(peer).catch((error) => this.#fail(error));
    }
  }

  async #serve(peer: PeerConnection): Promise<void> {
    this.#serving.add(peer.id);
    try {
      while (!peer.closed && !peer.amChoking) {
        const request = this.#requests.get(peer.id)?.shift();
        if (!request) return;
        await this.#uploadLimit?.take(request.length);
        await this.#cache.use(request.index, request.begin, request.length, (block) => {
          if (peer.closed || peer.amChoking) return;
          // send() copies the block into its frame before returning.
          peer.send({ type: "piece", index: request.index, begin: request.begin, block });
        });
        if (peer.closed || peer.amChoking) return;
        await peer.drained();
      }
    } finally {
      this.#serving.delete(peer.id);
    }
  }

  // ---- downloading ----

  #haves = (id: number): Bitfield | undefined => {
    const peer = this.peers.get(id);
    if (!peer || peer.closed || peer.peerChoking || this.#stalled.has(id)) return undefined;
    return peer.peerHave;
  };

  /** A peer whose unanswered requests would take it over a second at its recent rate. */
  #slowerThanASecond = (id: number): boolean => {
    const peer = this.peers.get(id);
    if (!peer) return false;
    const rate = peer.downloaded.rate();
    return rate === 0 || (this.#picker.outstanding(id) * BLOCK_SIZE) / rate > 1;
  };

  #fillRequests(peer: PeerConnection): void {
    if (this.complete || peer.peerChoking || peer.closed || !peer.amInterested) return;
    // Backpressure: a disk slower than the network must not fill memory with pieces.
    if (this.#unwrittenBytes > MAX_UNWRITTEN_BYTES) return;
    const { requests, cancels } = this.#picker.requestsFor(
      peer.id,
      this.#haves,
      this.#slowerThanASecond,
    );
    for (const { peer: other, request } of cancels) {
      this.peers.get(other)?.send({ type: "cancel", ...request });
    }
    for (const request of requests) peer.send({ type: "request", ...request });
  }

  #onBlock(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void {
    peer.downloaded.add(block.length);
    peer.lastBlockAt = performance.now();
    this.#stalled.delete(peer.id);
    const outcome = this.#picker.received(peer.id, index, begin, block.length);
    if (outcome.accepted) {
      let buffer = this.#buffers.get(index);
      if (!buffer) {
        buffer = this.#pool.take(pieceSize(this.torrent, index));
        this.#buffers.set(index, buffer);
      }
      buffer.set(block, begin);
      for (const id of outcome.cancelAt) {
        this.peers.get(id)?.send({ type: "cancel", index, begin, length: block.length });
      }
      if (outcome.pieceComplete) {
        this.#completePiece(index, buffer).catch((error) => this.#fail(error));
      }
    }
    this.#fillRequests(peer);
  }

  async #completePiece(index: number, buffer: Uint8Array): Promise<void> {
    this.#buffers.delete(index);
    const digest = createHash("sha1").update(buffer).digest();
    const expected = this.torrent.pieceHashes.subarray(index * 20, index * 20 + 20);
    if (!sameBytes(digest, expected)) {
      this.#failedPieces++;
      const suspects = this.#picker.pieceFailed(index);
      this.#log(`piece ${index} failed its hash check; discarded`);
      for (const id of suspects) this.#strike(id);
      this.#pool.give(buffer);
      for (const peer of this.peers.values()) this.#fillRequests(peer);
      return;
    }
    this.#unwrittenBytes += buffer.length;
    try {
      await this.storage.writePiece(index, buffer);
    } finally {
      this.#unwrittenBytes -= buffer.length;
    }
    if (this.#closed) return;
    const from = this.#picker.contributorsOf(index).map((id) =>
      this.peers.get(id)?.address ?? "a peer that left"
    );
    this.#picker.pieceVerified(index);
    this.#verifiedBytes += buffer.length;
    const share = buffer.length / Math.max(1, from.length);
    this.#pool.give(buffer);
    for (const address of from) {
      this.#bytesFrom.set(address, (this.#bytesFrom.get(address) ?? 0) + share);
    }
    this.options.onPiece?.(index, from);
    for (const peer of this.peers.values()) {
      peer.send({ type: "have", index });
      if (peer.peerHave.has(index)) {
        this.#wanted.set(peer.id, (this.#wanted.get(peer.id) ?? 1) - 1);
        this.#updateInterest(peer);
      }
      this.#fillRequests(peer);
    }
    if (this.complete) {
      await this.storage.sync().catch((error) => this.#fail(error));
      this.#completion.resolve();
      for (const peer of this.peers.values()) this.#setInterest(peer, false);
    }
  }

  #strike(id: number): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    const strikes = (this.#strikes.get(peer.address) ?? 0) + 1;
    this.#strikes.set(peer.address, strikes);
    if (strikes >= (this.options.maxStrikes ?? DEFAULT_MAX_STRIKES)) {
      this.#banned.add(peer.address);
      peer.close(`dropped: sent ${strikes} pieces that failed their hash`);
    }
  }

  #checkStalls(): void {
    const now = performance.now();
    for (const peer of this.peers.values()) {
      if (this.#picker.outstanding(peer.id) > 0 && now - peer.lastBlockAt > STALL_TIMEOUT_MS) {
        this.#stalled.add(peer.id);
        this.#picker.release(peer.id);
        this.#log(`${peer.address} stalled; its pieces go to other peers`);
      }
    }
    for (const peer of this.peers.values()) this.#fillRequests(peer);
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure.reject(error);
  }

  /** Closes every connection and stops the timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const peer of [...this.peers.values()]) peer.close("session closed");
    await this.storage.close();
  }
}
