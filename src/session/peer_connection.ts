import { closeQuietly, type PeerStream } from "../transport/mod.ts";
import {
  BLOCK_SIZE,
  encodeMessage,
  encodePieceInto,
  type Message,
  MessageReader,
  WireError,
} from "../wire/mod.ts";
import { BufferPool } from "./buffer_pool.ts";
import type { Clock, Timer } from "./clock.ts";
import { RateMeter } from "./rate_meter.ts";
import type { RateLimiter } from "./rate_limiter.ts";

/** Send a keep-alive after this long without sending anything (BEP 3: two minutes). */
export const KEEP_ALIVE_MS = 120_000;
/** Close a connection that sent nothing for this long (a keep-alive is due every two minutes). */
export const IDLE_TIMEOUT_MS = 180_000;
/** Bytes queued for sending above which uploads wait for the socket to drain. */
export const SEND_HIGH_WATER = 512 * 1024;
/** Size of the reused read buffer. */
const READ_BUFFER_SIZE = 128 * 1024;
/**
 * Under a download limit each read takes at most this share of a second's
 * bytes (and no less than {@link MIN_LIMITED_READ}): every connection may
 * be one read ahead of the limit, so reads are kept small next to it.
 */
const LIMITED_READ_SHARE = 1 / 50;
const MIN_LIMITED_READ = 4096;

/** Seconds between checks for idleness and due keep-alives. */
const TICK_MS = 10_000;

/** What a connection tells its owner. */
export interface ConnectionEvents {
  onMessages(messages: Message[]): void;
  onClose(reason: string): void;
}

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
 * The wire side of one peer after the handshake: a read loop that feeds
 * the frame parser, a send queue written in batches of whole messages,
 * keep-alives and the idle cut-off, and transfer counters. It knows nothing
 * of torrents; protocol violations close this connection only, with the
 * reason passed to `onClose`.
 */
export class PeerConnection {
  readonly downloaded: RateMeter;
  readonly uploaded: RateMeter;
  closed = false;
  readonly #reader = new MessageReader();
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  #drainWaiters: (() => void)[] = [];
  #lastReceivedAt: number;
  #lastSentAt: number;
  /** When the send queue last moved: it filled from empty, or a write took some of it. */
  #queueMovedAt: number;
  #timer: Timer | undefined;
  #events: ConnectionEvents | undefined;

  /**
   * @example
   * ```ts
   * const connection = new PeerConnection(stream, clock);
   * connection.start(leftover, { onMessages, onClose });
   * ```
   */
  constructor(
    readonly stream: PeerStream,
    readonly clock: Clock,
    /**
     * The process's download limit: reading pauses until the bytes read fit
     * it, so the peer's TCP window (or our uTP window) closes and it sends
     * no faster than the limit.
     */
    readonly readLimiter?: RateLimiter,
  ) {
    this.downloaded = new RateMeter(clock.now);
    this.uploaded = new RateMeter(clock.now);
    this.#lastReceivedAt = this.#lastSentAt = this.#queueMovedAt = clock.now();
  }

  /** Lowers (or raises) the longest message accepted, once the torrent's geometry is known. */
  limitMessageLength(maxLength: number): void {
    this.#reader.maxLength = maxLength;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * How long bytes have waited for the peer to read them: 0 with nothing
   * queued, else the time since the last write made progress.
   */
  sendStalledFor(now: number): number {
    return this.#queuedBytes === 0 ? 0 : now - this.#queueMovedAt;
  }

  /** Starts reading; `leftover` are bytes that arrived with the handshake. */
  start(leftover: Uint8Array, events: ConnectionEvents): void {
    this.#events = events;
    this.#timer = this.clock.every(TICK_MS, () => this.#tick());
    this.#readLoop(leftover).catch((error) => this.close(describe(error)));
  }

  async #readLoop(leftover: Uint8Array): Promise<void> {
    if (leftover.length > 0) this.#deliver(leftover);
    const limiter = this.readLimiter;
    const size = limiter
      ? Math.max(
        MIN_LIMITED_READ,
        Math.min(READ_BUFFER_SIZE, Math.floor(limiter.bytesPerSecond * LIMITED_READ_SHARE)),
      )
      : READ_BUFFER_SIZE;
    const buffer = new Uint8Array(size);
    while (!this.closed) {
      const count = await this.stream.read(buffer);
      if (count === null) {
        this.close("the peer closed the connection");
        return;
      }
      this.#deliver(buffer.subarray(0, count));
      // Unlimited reads go straight on: no await (and no turn of the event loop) per read.
      if (limiter) await limiter.take(count);
    }
  }

  #deliver(bytes: Uint8Array): void {
    this.#lastReceivedAt = this.clock.now();
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
      this.#events?.onMessages(messages);
    } catch (error) {
      // A bug in handling one peer must not take the process down.
      this.close(`internal error: ${error instanceof Error ? error.message : error}`);
    }
  }

  #tick(): void {
    const now = this.clock.now();
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
    if (this.#queuedBytes === 0) this.#queueMovedAt = this.clock.now();
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
        for (let written = 0; written < bytes.length;) {
          written += await this.stream.write(bytes.subarray(written));
          // Any progress counts: a slow reader is not a reader that stopped.
          this.#queueMovedAt = this.clock.now();
        }
        this.#queuedBytes -= bytes.length;
        recycle(bytes);
        this.#lastSentAt = this.clock.now();
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
    this.#timer?.cancel();
    this.#wakeDrainWaiters();
    for (const bytes of this.#queue.splice(0)) recycle(bytes);
    closeQuietly(this.stream);
    this.#events?.onClose(reason);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
