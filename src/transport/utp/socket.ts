import { type Endpoint, formatEndpoint, type PeerStream, TransportError } from "../stream.ts";
import { type UtpClock, UtpConnection } from "./connection.ts";
import {
  decodePacket,
  emptyHeader,
  encodeHeader,
  HEADER_LENGTH,
  ST_RESET,
  ST_SYN,
} from "./packet.ts";

/** What the socket sends through: the Client's shared UDP socket. */
export interface PacketOutlet {
  send(bytes: Uint8Array, to: Endpoint): void;
}

/** Connections at most, all addresses together (libutp stops at 3,000). */
export const MAX_CONNECTIONS = 2_000;
/** Connections from one IP address at most (one port, on loopback): a SYN flood from one source fills only its own share. */
export const MAX_CONNECTIONS_PER_ADDRESS = 32;
/** Accepted connections not yet taken by the Client, at most. */
const MAX_ACCEPT_QUEUE = 64;
/** How often connections check their timers. */
const TICK_MS = 50;
/** Resets sent a second at most, to packets for connections we do not know. */
const MAX_RESETS_PER_SECOND = 50;

/** How a {@link UtpSocket} runs. */
export interface UtpSocketOptions {
  readonly clock: UtpClock;
  /** Accept incoming connections (an outgoing-only socket resets SYNs). */
  readonly accept: boolean;
  readonly maxPayload?: number;
  /** Random integers for connection ids and sequence numbers; tests pass their own. */
  readonly random?: () => number;
}

/**
 * Every uTP connection on one UDP socket: packets are matched to their
 * connection by source address and connection id, SYNs make incoming
 * connections, and one timer drives every connection's timeouts. State is
 * bounded per source: a flood of SYNs from one address gets that address
 * {@link MAX_CONNECTIONS_PER_ADDRESS} connections and no more, packets for
 * unknown connections get a rate-limited reset, and no packet can make an
 * answer larger than itself.
 */
export class UtpSocket implements AsyncIterable<PeerStream> {
  readonly #outlet: PacketOutlet;
  readonly #options: UtpSocketOptions;
  readonly #connections = new Map<string, UtpConnection>();
  /** Connections per source (see {@link sourceOf}). */
  readonly #perAddress = new Map<string, number>();
  readonly #header = emptyHeader();
  /** The connection the last packet went to. */
  #last: UtpConnection | undefined;
  readonly #accepted: UtpConnection[] = [];
  #acceptWaiter: (() => void) | undefined;
  #ticker: { cancel(): void } | undefined;
  #resetsThisSecond = 0;
  #resetSecond = 0;
  readonly #resetPacket = new Uint8Array(HEADER_LENGTH);
  #closed = false;

  constructor(outlet: PacketOutlet, options: UtpSocketOptions) {
    this.#outlet = outlet;
    this.#options = options;
  }

  /** Connections held. */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * Opens a connection to `endpoint`, resending the SYN at 1, 2, 4... s.
   *
   * @throws {TransportError} on a reset ("connection refused") or after `timeoutMs`.
   */
  async dial(endpoint: Endpoint, timeoutMs: number): Promise<PeerStream> {
    if (this.#closed) throw new TransportError("uTP is closed");
    const address = formatEndpoint(endpoint);
    if (!this.#hasRoom(address)) throw new TransportError("too many uTP connections");
    let receiveId = this.#randomId();
    while (this.#connections.has(`${address}/${receiveId}`)) receiveId = this.#randomId();
    const connection = UtpConnection.connect({
      remote: { ip: endpoint.ip, port: endpoint.port },
      send: (packet) => this.#outlet.send(packet, endpoint),
      clock: this.#options.clock,
      receiveId,
      firstSeq: this.#randomId(),
      maxPayload: this.#options.maxPayload,
      onGone: (gone) => this.#forget(gone, address),
    });
    this.#hold(connection, address);
    let expired = false;
    const timer = this.#options.clock.after(timeoutMs, () => {
      expired = true;
      connection.reset();
    });
    try {
      await connection.connected;
    } catch {
      throw new TransportError(expired ? "timed out" : "connection refused");
    } finally {
      timer.cancel();
    }
    return connection;
  }

  /** Handles one datagram that looks like uTP (the router checked its first byte). */
  receive(bytes: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    const header = this.#header;
    if (!decodePacket(bytes, header)) return;
    const id = header.connectionId;
    // Most packets in a row belong to the same connection: found without building its key.
    const last = this.#last;
    if (
      last && header.type !== ST_SYN && header.type !== ST_RESET && last.receiveId === id &&
      last.remote.port === from.port && last.remote.ip === from.ip && !last.closed
    ) {
      return last.receive(header, bytes);
    }
    const address = formatEndpoint(from);
    if (header.type === ST_SYN) return this.#syn(from, address);
    const connection = this.#connections.get(`${address}/${id}`) ??
      (header.type === ST_RESET ? this.#resetTarget(address, id) : undefined);
    if (connection) {
      this.#last = connection;
      return connection.receive(header, bytes);
    }
    if (header.type !== ST_RESET) this.#refuse(from, id, header.seq);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PeerStream> {
    while (!this.#closed) {
      const next = this.#accepted.shift();
      if (next) {
        if (!next.closed) yield next;
        continue;
      }
      await new Promise<void>((resolve) => this.#acceptWaiter = resolve);
    }
  }

  /** Resets every connection and stops accepting. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of [...this.#connections.values()]) connection.reset();
    this.#ticker?.cancel();
    this.#acceptWaiter?.();
  }

  #syn(from: Endpoint, address: string): void {
    const header = this.#header;
    // A SYN resent because our state packet was lost reaches the connection it made.
    const known = this.#connections.get(`${address}/${(header.connectionId + 1) & 0xffff}`);
    if (known) return known.receive(header, new Uint8Array(0));
    if (!this.#options.accept || this.#accepted.length >= MAX_ACCEPT_QUEUE) {
      return this.#refuse(from, header.connectionId, header.seq);
    }
    if (!this.#hasRoom(address)) return;
    const connection = UtpConnection.accept({
      remote: { ip: from.ip, port: from.port },
      send: (packet) => this.#outlet.send(packet, from),
      clock: this.#options.clock,
      firstSeq: this.#randomId(),
      maxPayload: this.#options.maxPayload,
      onGone: (gone) => this.#forget(gone, address),
    }, header);
    this.#hold(connection, address);
    this.#accepted.push(connection);
    const waiter = this.#acceptWaiter;
    this.#acceptWaiter = undefined;
    waiter?.();
  }

  /** A reset names our receive id, or our send id (ours ± 1, whichever side opened). */
  #resetTarget(address: string, id: number): UtpConnection | undefined {
    for (const candidate of [(id + 1) & 0xffff, (id - 1) & 0xffff]) {
      const connection = this.#connections.get(`${address}/${candidate}`);
      if (connection?.sendId === id) return connection;
    }
    return undefined;
  }

  /** Tells a source its packet reached no connection, a bounded number of times a second. */
  #refuse(to: Endpoint, connectionId: number, seq: number): void {
    const second = Math.floor(this.#options.clock.now() / 1000);
    if (second !== this.#resetSecond) {
      this.#resetSecond = second;
      this.#resetsThisSecond = 0;
    }
    if (++this.#resetsThisSecond > MAX_RESETS_PER_SECOND) return;
    encodeHeader(this.#resetPacket, {
      type: ST_RESET,
      connectionId,
      timestamp: 0,
      timestampDifference: 0,
      windowSize: 0,
      seq: this.#randomId(),
      ack: seq,
    });
    this.#outlet.send(this.#resetPacket, to);
  }

  #hasRoom(address: string): boolean {
    return this.#connections.size < MAX_CONNECTIONS &&
      (this.#perAddress.get(sourceOf(address)) ?? 0) < MAX_CONNECTIONS_PER_ADDRESS;
  }

  #hold(connection: UtpConnection, address: string): void {
    this.#connections.set(`${address}/${connection.receiveId}`, connection);
    const source = sourceOf(address);
    this.#perAddress.set(source, (this.#perAddress.get(source) ?? 0) + 1);
    this.#ticker ??= this.#options.clock.every(TICK_MS, () => this.#tick());
  }

  #forget(connection: UtpConnection, address: string): void {
    const key = `${address}/${connection.receiveId}`;
    if (this.#last === connection) this.#last = undefined;
    if (this.#connections.get(key) !== connection) return;
    this.#connections.delete(key);
    const source = sourceOf(address);
    const count = (this.#perAddress.get(source) ?? 1) - 1;
    if (count > 0) this.#perAddress.set(source, count);
    else this.#perAddress.delete(source);
  }

  #tick(): void {
    const now = this.#options.clock.now();
    for (const connection of this.#connections.values()) connection.tick(now);
    // No timer keeps the process alive once nothing is connected.
    if (this.#connections.size === 0) {
      this.#ticker?.cancel();
      this.#ticker = undefined;
    }
  }

  #randomId(): number {
    return this.#options.random
      ? this.#options.random() & 0xffff
      : crypto.getRandomValues(new Uint16Array(1))[0];
  }
}

/**
 * Whose share a connection counts against: its IP address (a flood from
 * many ports of one host is still one source), except on loopback, where
 * every local program is a peer of its own, told apart by port.
 */
function sourceOf(address: string): string {
  const ip = address.slice(0, address.lastIndexOf(":"));
  const loopback = ip.startsWith("127.") || ip === "[::1]" || ip.startsWith("[::ffff:127.");
  return loopback ? address : ip;
}
