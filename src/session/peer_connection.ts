import type { TorrentGeometry } from "../metainfo/mod.ts";
import {
  Bitfield,
  BLOCK_SIZE,
  encodeMessage,
  encodePieceInto,
  type Message,
  MessageReader,
  WireError,
} from "../wire/mod.ts";
import { BufferPool } from "./buffer_pool.ts";
import { RateMeter } from "./rate_meter.ts";

/** Send a keep-alive after this long without sending anything (BEP 3: two minutes). */
export const KEEP_ALIVE_MS = 120_000;
/** Close a connection that sent nothing for this long (a keep-alive is due every two minutes). */
export const IDLE_TIMEOUT_MS = 180_000;
/** Bytes queued for sending above which uploads wait for the socket to drain. */
export const SEND_HIGH_WATER = 512 * 1024;
/** Size of the reused read buffer. */
const READ_BUFFER_SIZE = 128 * 1024;

/** What a connection tells its owner. */
export interface PeerEvents {
  onMessages(peer: PeerConnection, messages: Message[]): void;
  onClose(peer: PeerConnection, reason: string): void;
}

let nextPeerId = 1;

/** Bytes of a piece message carrying one 16 KiB block. */
const FRAME_SIZE = 13 + BLOCK_SIZE;
/** Piece-message frames reused by every connection: 4 MiB of them at most. */
const frames = new BufferPool(256 * FRAME_SIZE);

/**
 * Queued messages are written together, copied into one buffer of up to
 * this many bytes: each write is an op on the main thread, which costs far
 * more than copying a few small messages or a 16 KiB block. A 1 GiB download
 * from three seeds sends some 70,000 requests and haves: one write each took
 * 2.3-2.6 s, batched 2.1-2.3 s.
 */
const BATCH_BYTES = 128 * 1024;
/** Batch buffers reused by every connection: 1 MiB of them at most. */
const batches = new BufferPool(8 * BATCH_BYTES);

/** Takes back a written buffer if it is a frame or a batch; other buffers are simply dropped. */
function recycle(bytes: Uint8Array): void {
  if (bytes.buffer.byteLength === FRAME_SIZE) frames.give(new Uint8Array(bytes.buffer));
  else if (bytes.buffer.byteLength === BATCH_BYTES) batches.give(new Uint8Array(bytes.buffer));
}

/**
 * One peer connection after the handshake: a read loop that feeds the
 * frame parser, a send queue written in batches of whole messages, choking
 * and interest state, and transfer counters. Protocol violations close this
 * connection only, with the reason passed to `onClose`.
 */
export class PeerConnection {
  /** A small number naming this connection within the process. */
  readonly id = nextPeerId++;
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Pieces the peer has, from its bitfield and have messages. */
  peerHave: Bitfield;
  readonly downloaded = new RateMeter();
  readonly uploaded = new RateMeter();
  /** `performance.now()` of the last block received (stall detection). */
  lastBlockAt = performance.now();
  closed = false;
  readonly #reader: MessageReader;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  #drainWaiters: (() => void)[] = [];
  #lastReceivedAt = performance.now();
  #lastSentAt = performance.now();
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @example
   * ```ts
   * const peer = new PeerConnection(conn, torrent, "127.0.0.1:6881", peerId, events);
   * peer.start(leftover);
   * ```
   */
  constructor(
    readonly conn: Deno.Conn,
    geometry: TorrentGeometry,
    /** `ip:port` as people read it. */
    readonly address: string,
    readonly remotePeerId: Uint8Array,
    readonly events: PeerEvents,
  ) {
    this.#reader = new MessageReader(geometry);
    this.peerHave = new Bitfield(geometry.pieceCount);
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Starts reading; `leftover` are bytes that arrived with the handshake. */
  start(leftover: Uint8Array): void {
    this.#timer = setInterval(() => this.#tick(), 10_000);
    this.#readLoop(leftover).catch((error) => this.close(describe(error)));
  }

  async #readLoop(leftover: Uint8Array): Promise<void> {
    if (leftover.length > 0) this.#deliver(leftover);
    const buffer = new Uint8Array(READ_BUFFER_SIZE);
    while (!this.closed) {
      const count = await this.conn.read(buffer);
      if (count === null) {
        this.close("the peer closed the connection");
        return;
      }
      this.#deliver(buffer.subarray(0, count));
    }
  }

  #deliver(bytes: Uint8Array): void {
    this.#lastReceivedAt = performance.now();
    let messages: Message[];
    try {
      messages = this.#reader.push(bytes);
    } catch (error) {
      if (error instanceof WireError) {
        this.close(`protocol violation: ${error.message}`);
        return;
      }
      throw error;
    }
    if (messages.length === 0) return;
    try {
      this.events.onMessages(this, messages);
    } catch (error) {
      // A bug in handling one peer must not take the process down.
      this.close(`internal error: ${error instanceof Error ? error.message : error}`);
    }
  }

  #tick(): void {
    const now = performance.now();
    if (now - this.#lastReceivedAt > IDLE_TIMEOUT_MS) {
      this.close("idle for three minutes");
    } else if (now - this.#lastSentAt > KEEP_ALIVE_MS) {
      this.send({ type: "keep-alive" });
    }
  }

  /** Queues a message; it is written whole, together with others queued behind it. */
  send(message: Message): void {
    if (this.closed) return;
    let bytes: Uint8Array;
    if (message.type === "piece" && message.block.length <= BLOCK_SIZE) {
      // Uploads reuse frame buffers: a seed sends gigabytes in 16 KiB blocks.
      bytes = encodePieceInto(frames.take(FRAME_SIZE), message.index, message.begin, message.block);
      this.uploaded.add(message.block.length);
    } else {
      bytes = encodeMessage(message);
      if (message.type === "piece") this.uploaded.add(message.block.length);
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (!this.#writing) this.#writeLoop().catch((error) => this.close(describe(error)));
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.closed) {
        const messages = this.#takeBatch();
        const bytes = messages.length === 1 ? messages[0] : this.#joined(messages);
        let written = 0;
        while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
        this.#queuedBytes -= bytes.length;
        recycle(bytes);
        this.#lastSentAt = performance.now();
        if (this.#queuedBytes < SEND_HIGH_WATER) this.#wakeDrainWaiters();
      }
    } finally {
      this.#writing = false;
    }
  }

  /** The next queued messages that fit in one batch (always at least one). */
  #takeBatch(): Uint8Array[] {
    let count = 1;
    let bytes = this.#queue[0].length;
    while (count < this.#queue.length && bytes + this.#queue[count].length <= BATCH_BYTES) {
      bytes += this.#queue[count].length;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  /** The messages copied into one batch buffer; their frames go back to the pool at once. */
  #joined(messages: Uint8Array[]): Uint8Array {
    const size = messages.reduce((sum, message) => sum + message.length, 0);
    const joined = batches.take(BATCH_BYTES).subarray(0, size);
    let at = 0;
    for (const message of messages) {
      joined.set(message, at);
      at += message.length;
      recycle(message);
    }
    return joined;
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when the send queue is below the high-water mark (or the connection closed). */
  drained(): Promise<void> {
    if (this.#queuedBytes < SEND_HIGH_WATER || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Closes the connection once; `onClose` hears the reason. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.#timer);
    this.#wakeDrainWaiters();
    for (const bytes of this.#queue.splice(0)) recycle(bytes);
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.events.onClose(this, reason);
  }
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by the peer";
  if (error instanceof Deno.errors.BrokenPipe) return "the peer went away";
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return "connection closed";
  }
  return error instanceof Error ? error.message : String(error);
}
