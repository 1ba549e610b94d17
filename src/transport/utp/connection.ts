import { type Endpoint, type PeerStream, TransportError } from "../stream.ts";
import { ByteRing } from "./byte_ring.ts";
import {
  encodeHeader,
  HEADER_LENGTH,
  MAX_SELECTIVE_ACK_BYTES,
  seqDistance,
  ST_DATA,
  ST_FIN,
  ST_RESET,
  ST_STATE,
  ST_SYN,
  type UtpHeader,
} from "./packet.ts";

/** Time as a uTP connection needs it; the engine's Clock fits. */
export interface UtpClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  after(ms: number, task: () => void): { cancel(): void };
  every(ms: number, task: () => void): { cancel(): void };
}

/** Where a connection's packets go: the shared socket, addressed to its peer. */
export type PacketSink = (packet: Uint8Array) => void;

/** Payload bytes per packet: a 1,500-byte Ethernet frame less IP, UDP and uTP headers, as libutp sends. */
export const DEFAULT_MAX_PAYLOAD = 1_400;
/** Bytes written but not yet acknowledged, at most (what a write waits on). */
export const SEND_BUFFER = 1 << 20;
/** Bytes received but not yet read, at most: the window we advertise. */
export const RECEIVE_BUFFER = 1 << 20;
/** LEDBAT's target for the queueing delay we add (BEP 29: 100 ms). */
export const TARGET_DELAY_US = 100_000;
/** LEDBAT's largest window growth per round trip of acknowledged bytes. */
const MAX_CWND_INCREASE_PER_RTT = 3_000;
/** Packets in flight at most (ring slots; a power of two). */
const OUT_SLOTS = 2_048;
/** Packets held out of order at most, ahead of the next expected one (a power of two). */
const REORDER_SLOTS = 1_024;
/** BEP 29's floor and first value of the retransmission timeout. */
const MIN_RTO_MS = 500;
const INITIAL_RTO_MS = 1_000;
const MAX_RTO_MS = 30_000;
/** Timeouts in a row without progress before the connection is given up. */
const MAX_TIMEOUTS = 6;
/** Packets acknowledged after a missing one before it is resent without waiting (as TCP's three duplicate acks). */
const FAST_RESEND_AFTER = 3;
/** Idle time after which a state packet keeps NAT mappings open, as libutp does. */
const KEEPALIVE_MS = 29_000;
/** Silence after which an established connection is taken for dead. */
const SILENCE_MS = 300_000;
/** How long a closed connection stays to deliver its last bytes and FIN, without progress. */
const LINGER_MS = 10_000;
/** SYN retransmission: first wait, doubled each time. */
const SYN_RESEND_MS = 1_000;

type State = "syn-sent" | "connected" | "closed";

/** How a connection is made: its ids, first sequence number and packet size. */
export interface ConnectionSetup {
  readonly remote: Endpoint;
  readonly send: PacketSink;
  readonly clock: UtpClock;
  /** Connection id we receive on. */
  readonly receiveId: number;
  /** Connection id we send with. */
  readonly sendId: number;
  /** Our first sequence number (random). */
  readonly firstSeq: number;
  readonly maxPayload?: number;
  /** Called once the connection is done with, so the socket forgets it. */
  readonly onGone: (connection: UtpConnection) => void;
}

/**
 * One uTP connection (BEP 29) as a byte stream: sequence and ack numbers,
 * selective acks both ways, retransmission on timeout and after three later
 * packets were acknowledged, and LEDBAT congestion control, which grows the
 * window while the queueing delay we cause stays under 100 ms and shrinks
 * it above, so uTP yields to other traffic. Bytes in flight live in one
 * send ring and in-order bytes in one receive ring: the packet path
 * allocates nothing. Pure state machine: packets come in through
 * {@link receive}, go out through the sink, time through the clock and
 * {@link tick}.
 */
export class UtpConnection implements PeerStream {
  readonly remote: Endpoint;
  readonly via = "uTP";
  readonly receiveId: number;
  readonly sendId: number;
  readonly #sink: PacketSink;
  readonly #clock: UtpClock;
  readonly #onGone: (connection: UtpConnection) => void;
  readonly #maxPayload: number;
  #state: State;
  #error: string | undefined;
  readonly #connected = Promise.withResolvers<void>();

  // Sending: sequence numbers [#oldest, #seq) are in flight, their bytes in #send.
  readonly #send = new ByteRing(SEND_BUFFER);
  #seq: number;
  #oldest: number;
  /** Stream offset of the first byte not yet put in a packet. */
  #unsent = 0;
  readonly #slotOffset = new Float64Array(OUT_SLOTS);
  readonly #slotLength = new Uint16Array(OUT_SLOTS);
  readonly #slotSentAt = new Float64Array(OUT_SLOTS);
  readonly #slotSends = new Uint8Array(OUT_SLOTS);
  /** 1: acknowledged by a selective ack, before the cumulative ack reached it. */
  readonly #slotAcked = new Uint8Array(OUT_SLOTS);
  /** 1: counted in #inFlight (not presumed lost). */
  readonly #slotCounted = new Uint8Array(OUT_SLOTS);
  readonly #slotFin = new Uint8Array(OUT_SLOTS);
  #inFlight = 0;
  /** Packets from here to #seq were presumed lost by a timeout and go again first. */
  #resendFrom = -1;
  #cwnd: number;
  #slowStart = true;
  /** A loss halves the window once per window of packets: none before this one counts again. */
  #recoveryUntil = -1;
  #peerWindow = RECEIVE_BUFFER;
  #rtt = 0;
  #rttVariance = 0;
  #rto = INITIAL_RTO_MS;
  #lastBackOff = -Infinity;
  #timeouts = 0;
  #fastResent = -1;
  #finSeq = -1;
  /** The SYN's sequence number, resent as it was. */
  #synSeq = 0;
  #closing = false;
  #lingerUntil = 0;

  // Delay: the lowest one-way delay the peer saw in each of the last two minutes.
  #baseDelays = [Infinity, Infinity];
  #baseMinute = -1;
  /** What we tell the peer of its delay to us: our receive time less its timestamp. */
  #replyMicros = 0;

  // Receiving: #ack is the last sequence number received in order.
  readonly #receive = new ByteRing(RECEIVE_BUFFER);
  #ack = 0;
  readonly #reorder: (Uint8Array | undefined)[] = new Array(REORDER_SLOTS);
  readonly #reorderLength = new Int32Array(REORDER_SLOTS).fill(-1);
  #reorderCount = 0;
  #reorderBytes = 0;
  /** The FIN's sequence number once seen: the stream ends there. */
  #peerFin = -1;
  #ended = false;
  #unacked = 0;
  #ackTimer: { cancel(): void } | undefined;
  #advertised = RECEIVE_BUFFER;

  #lastHeard: number;
  #lastSent: number;
  #synSentAt = 0;
  #synWait = SYN_RESEND_MS;
  readonly #packet: Uint8Array;
  readonly #selectiveAck = new Uint8Array(MAX_SELECTIVE_ACK_BYTES);
  #readWaiter: (() => void) | undefined;
  #writeWaiter: (() => void) | undefined;
  #flushQueued = false;

  private constructor(setup: ConnectionSetup, state: State) {
    this.remote = setup.remote;
    this.receiveId = setup.receiveId;
    this.sendId = setup.sendId;
    this.#sink = setup.send;
    this.#clock = setup.clock;
    this.#onGone = setup.onGone;
    this.#maxPayload = setup.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#cwnd = this.#maxPayload * 2;
    this.#packet = new Uint8Array(HEADER_LENGTH + 2 + MAX_SELECTIVE_ACK_BYTES + this.#maxPayload);
    this.#state = state;
    this.#seq = setup.firstSeq & 0xffff;
    this.#oldest = this.#seq;
    this.#lastHeard = this.#lastSent = this.#clock.now();
    this.#connected.promise.catch(() => {});
  }

  /** Opens a connection: sends the SYN (on `receiveId`) and waits for the peer's state packet. */
  static connect(setup: Omit<ConnectionSetup, "sendId">): UtpConnection {
    const connection = new UtpConnection(
      { ...setup, sendId: (setup.receiveId + 1) & 0xffff },
      "syn-sent",
    );
    // The SYN takes the first sequence number; data starts after it.
    connection.#synSeq = connection.#seq;
    connection.#seq = connection.#oldest = (connection.#seq + 1) & 0xffff;
    connection.#sendSyn();
    return connection;
  }

  /**
   * Takes a peer's SYN: our ids follow from its (we receive on its id + 1,
   * send on its id), and our state packet acknowledges it.
   */
  static accept(
    setup: Omit<ConnectionSetup, "sendId" | "receiveId">,
    syn: UtpHeader,
  ): UtpConnection {
    const connection = new UtpConnection({
      ...setup,
      receiveId: (syn.connectionId + 1) & 0xffff,
      sendId: syn.connectionId,
    }, "connected");
    connection.#ack = syn.seq;
    connection.#peerWindow = syn.windowSize;
    connection.#sendState();
    connection.#connected.resolve();
    return connection;
  }

  /** Resolves once the peer answered our SYN; rejects when it reset or the connection was closed. */
  get connected(): Promise<void> {
    return this.#connected.promise;
  }

  /** True once the connection is closed or failed. */
  get closed(): boolean {
    return this.#state === "closed";
  }

  /** The congestion window in bytes (for tests and measurements). */
  get congestionWindow(): number {
    return this.#cwnd;
  }

  /** Bytes sent and neither acknowledged nor presumed lost (for tests and measurements). */
  get bytesInFlight(): number {
    return this.#inFlight;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#receive.size > 0 && !this.#closing) {
        const count = this.#receive.take(buffer);
        this.#afterRead();
        return count;
      }
      if (this.#closing || this.#ended) return null;
      if (this.#state === "closed") throw new TransportError(this.#error ?? "connection closed");
      await new Promise<void>((resolve) => this.#readWaiter = resolve);
    }
  }

  async write(bytes: Uint8Array): Promise<number> {
    for (;;) {
      if (this.#closing || this.#state === "closed") {
        throw new TransportError(this.#error ?? "connection closed");
      }
      if (this.#send.free > 0) {
        const count = this.#send.push(bytes);
        this.#queueFlush();
        return count;
      }
      await new Promise<void>((resolve) => this.#writeWaiter = resolve);
    }
  }

  /** Stops reading and writing; what was written still goes out, then a FIN. */
  close(): void {
    if (this.#closing || this.#state === "closed") return;
    this.#closing = true;
    this.#lingerUntil = this.#clock.now() + LINGER_MS;
    this.#wake();
    if (this.#state === "syn-sent") return this.#finish("connection closed");
    this.#flush();
  }

  /** Handles one packet addressed to this connection (already decoded). */
  receive(header: UtpHeader, packet: Uint8Array): void {
    if (this.#state === "closed") return;
    const now = this.#clock.now();
    if (header.type === ST_RESET) {
      return this.#finish(
        this.#state === "syn-sent" ? "connection refused" : "connection reset by the peer",
      );
    }
    if (this.#state === "syn-sent") {
      // Only the state packet that acknowledges our SYN opens the connection.
      if (header.type !== ST_STATE || header.ack !== this.#synSeq) return;
      this.#state = "connected";
      this.#ack = (header.seq - 1) & 0xffff;
      this.#connected.resolve();
    } else if (seqDistance(header.ack, this.#seq - 1) > 0) {
      // It acknowledges what we never sent: forged, or for someone else.
      return;
    }
    this.#lastHeard = now;
    this.#replyMicros = (micros(now) - header.timestamp) >>> 0;
    this.#peerWindow = header.windowSize;
    this.#takeAcks(header, packet, now);
    switch (header.type) {
      case ST_DATA:
        this.#takeData(header.seq, packet.subarray(header.payloadOffset));
        break;
      case ST_FIN:
        this.#takeFin(header.seq);
        break;
      case ST_SYN:
        // Our state packet was lost: the peer asks again.
        this.#sendState();
        break;
    }
    this.#flush();
  }

  /** Timeouts, delayed acks, keep-alives and lingering; the socket calls it a few times a second. */
  tick(now: number): void {
    if (this.#state === "closed") return;
    if (this.#state === "syn-sent") {
      if (now - this.#synSentAt >= this.#synWait) {
        this.#synWait *= 2;
        this.#sendSyn();
      }
      return;
    }
    if (this.#oldest !== this.#seq) {
      const sentAt = this.#slotSentAt[this.#oldest & (OUT_SLOTS - 1)];
      if (now - sentAt >= this.#rto) this.#timedOut();
    } else if (this.#peerWindow < this.#maxPayload && this.#unsent < this.#send.end) {
      // A zero window, and nothing in flight to bring its update: probe once per timeout.
      if (now - this.#lastSent >= this.#rto) this.#flush(true);
    }
    if (now - this.#lastHeard >= SILENCE_MS) return this.#finish("timed out");
    if (this.#closing && (now >= this.#lingerUntil || this.#finAcknowledged())) {
      return this.#finish("connection closed");
    }
    if (now - this.#lastSent >= KEEPALIVE_MS) this.#sendState();
  }

  /** Ends the connection at once, telling the peer with a reset. */
  reset(): void {
    if (this.#state === "closed") return;
    if (this.#state === "connected") this.#sendPacket(ST_RESET, this.#seq, 0, 0);
    this.#finish("connection reset");
  }

  #finAcknowledged(): boolean {
    return this.#finSeq >= 0 && this.#oldest === this.#seq;
  }

  #sendSyn(): void {
    this.#synSentAt = this.#clock.now();
    // The SYN carries our receive id; the peer answers on it.
    this.#emit(ST_SYN, this.receiveId, this.#synSeq, 0, 0);
  }

  #takeAcks(header: UtpHeader, packet: Uint8Array, now: number): void {
    let acked = 0;
    const newlyAcked = seqDistance(header.ack, this.#oldest - 1);
    for (let i = 0; i < newlyAcked && this.#oldest !== this.#seq; i++) {
      acked += this.#retire(this.#oldest, now);
      this.#oldest = (this.#oldest + 1) & 0xffff;
    }
    if (header.selectiveAckOffset >= 0) {
      acked += this.#takeSelectiveAck(header, packet, now);
    }
    if (acked > 0) {
      this.#timeouts = 0;
      if (this.#closing) this.#lingerUntil = now + LINGER_MS;
      this.#grow(acked, header.timestampDifference, now);
    }
    if (newlyAcked > 0) {
      this.#send.dropTo(
        this.#oldest === this.#seq
          ? this.#unsent
          : this.#slotOffset[this.#oldest & (OUT_SLOTS - 1)],
      );
      if (this.#writeWaiter && this.#send.free > 0) this.#wake();
    }
  }

  /** Forgets an acknowledged packet; returns its bytes unless a selective ack counted them. */
  #retire(seq: number, now: number): number {
    const slot = seq & (OUT_SLOTS - 1);
    const length = this.#slotLength[slot];
    const counted = this.#slotAcked[slot] === 0;
    if (counted) this.#measure(slot, now);
    if (this.#slotCounted[slot]) this.#inFlight -= length;
    this.#slotAcked[slot] = 0;
    this.#slotCounted[slot] = 0;
    this.#slotFin[slot] = 0;
    return counted ? Math.max(length, 1) : 0;
  }

  #takeSelectiveAck(header: UtpHeader, packet: Uint8Array, now: number): number {
    let acked = 0;
    let later = 0;
    const base = (header.ack + 2) & 0xffff;
    const bits = header.selectiveAckLength * 8;
    for (let bit = bits - 1; bit >= 0; bit--) {
      if ((packet[header.selectiveAckOffset + (bit >> 3)] & (1 << (bit & 7))) === 0) continue;
      const seq = (base + bit) & 0xffff;
      if (seqDistance(seq, this.#oldest) < 0 || seqDistance(seq, this.#seq) >= 0) continue;
      later++;
      const slot = seq & (OUT_SLOTS - 1);
      if (this.#slotAcked[slot]) continue;
      this.#slotAcked[slot] = 1;
      this.#measure(slot, now);
      if (this.#slotCounted[slot]) {
        this.#inFlight -= this.#slotLength[slot];
        this.#slotCounted[slot] = 0;
      }
      acked += Math.max(this.#slotLength[slot], 1);
    }
    // The packet after the cumulative ack is missing while three later ones came: resend it now.
    const missing = (header.ack + 1) & 0xffff;
    if (
      later >= FAST_RESEND_AFTER && missing === this.#oldest && this.#fastResent !== missing &&
      !this.#slotAcked[missing & (OUT_SLOTS - 1)]
    ) {
      this.#fastResent = missing;
      this.#lost(missing);
      this.#transmit(missing);
    }
    return acked;
  }

  /** A round-trip sample from a packet sent once (a resent one's ack could be for either send). */
  #measure(slot: number, now: number): void {
    if (this.#slotSends[slot] !== 1) return;
    const sample = now - this.#slotSentAt[slot];
    if (this.#rtt === 0) {
      this.#rtt = sample;
      this.#rttVariance = sample / 2;
    } else {
      this.#rttVariance += (Math.abs(this.#rtt - sample) - this.#rttVariance) / 4;
      this.#rtt += (sample - this.#rtt) / 8;
    }
    this.#rto = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, this.#rtt + 4 * this.#rttVariance));
  }

  /**
   * LEDBAT (BEP 29): the window grows by up to 3,000 bytes a round trip
   * while the delay we add is under the target and shrinks as far above
   * it; slow start doubles it each round trip until the first loss or
   * until the delay reaches half the target.
   */
  #grow(acked: number, delayMicros: number, now: number): void {
    let ourDelay = 0;
    if (delayMicros !== 0) {
      const minute = Math.floor(now / 60_000);
      if (minute !== this.#baseMinute) {
        this.#baseMinute = minute;
        this.#baseDelays[1] = this.#baseDelays[0];
        this.#baseDelays[0] = Infinity;
      }
      // The peer's clock is offset from ours by a constant: only differences from the base count.
      this.#baseDelays[0] = Math.min(this.#baseDelays[0], delayMicros);
      ourDelay = delayMicros - Math.min(this.#baseDelays[0], this.#baseDelays[1]);
    }
    if (this.#slowStart) {
      if (ourDelay > TARGET_DELAY_US / 2) this.#slowStart = false;
      else this.#cwnd += acked;
    } else {
      const offTarget = Math.max(-1, Math.min(1, (TARGET_DELAY_US - ourDelay) / TARGET_DELAY_US));
      this.#cwnd += MAX_CWND_INCREASE_PER_RTT * offTarget * Math.min(1, acked / this.#cwnd);
    }
    // Over the target, the linear rule alone takes minutes to drain a
    // megabyte window: it also shrinks by the share it is over (at most
    // half), once per round trip.
    if (ourDelay > TARGET_DELAY_US && now - this.#lastBackOff >= Math.max(this.#rtt, 1)) {
      this.#lastBackOff = now;
      this.#slowStart = false;
      this.#cwnd *= Math.max(0.5, TARGET_DELAY_US / ourDelay);
    }
    this.#cwnd = Math.max(this.#maxPayload, Math.min(SEND_BUFFER, this.#cwnd));
  }

  /** A loss: the window halves, once per window of packets. */
  #lost(seq: number): void {
    this.#slowStart = false;
    if (this.#recoveryUntil >= 0 && seqDistance(seq, this.#recoveryUntil) < 0) return;
    this.#recoveryUntil = this.#seq;
    this.#cwnd = Math.max(this.#maxPayload, this.#cwnd / 2);
  }

  #timedOut(): void {
    if (++this.#timeouts > MAX_TIMEOUTS) return this.#finish("timed out");
    this.#slowStart = false;
    this.#cwnd = this.#maxPayload;
    this.#rto = Math.min(MAX_RTO_MS, this.#rto * 2);
    // Everything in flight is presumed lost and goes again, oldest first, as the window allows.
    for (let seq = this.#oldest; seq !== this.#seq; seq = (seq + 1) & 0xffff) {
      this.#slotCounted[seq & (OUT_SLOTS - 1)] = 0;
    }
    this.#inFlight = 0;
    this.#resendFrom = this.#oldest;
    this.#flush(true);
  }

  #takeData(seq: number, payload: Uint8Array): void {
    const ahead = seqDistance(seq, this.#ack + 1);
    if (ahead < 0) return this.#sendState(); // a duplicate: our ack was lost
    if (ahead >= REORDER_SLOTS || (this.#peerFin >= 0 && seqDistance(seq, this.#peerFin) >= 0)) {
      return;
    }
    if (ahead > 0) {
      this.#holdOutOfOrder(seq, payload);
      return this.#sendState();
    }
    if (!this.#deliver(payload)) return this.#sendState(); // no room: the window says so
    this.#ack = seq;
    this.#drainReordered();
    this.#wake();
    if (++this.#unacked >= 2 || this.#reorderCount > 0) this.#sendState();
    else this.#ackSoon();
  }

  #takeFin(seq: number): void {
    const ahead = seqDistance(seq, this.#ack + 1);
    if (ahead < 0) return this.#sendState();
    if (ahead >= REORDER_SLOTS) return;
    this.#peerFin = seq;
    this.#drainReordered();
    this.#sendState();
  }

  /** In-order bytes into the receive ring (dropped unread once we are closing). */
  #deliver(payload: Uint8Array): boolean {
    if (this.#closing) return true;
    if (payload.length > this.#receive.free) return false;
    this.#receive.push(payload);
    return true;
  }

  #holdOutOfOrder(seq: number, payload: Uint8Array): void {
    const slot = seq & (REORDER_SLOTS - 1);
    if (this.#reorderLength[slot] >= 0) return;
    if (this.#reorderBytes + payload.length > this.#receive.free) return;
    let held = this.#reorder[slot];
    if (!held || held.length < payload.length) {
      held = this.#reorder[slot] = new Uint8Array(Math.max(payload.length, this.#maxPayload));
    }
    held.set(payload);
    this.#reorderLength[slot] = payload.length;
    this.#reorderCount++;
    this.#reorderBytes += payload.length;
  }

  #drainReordered(): void {
    for (;;) {
      const next = (this.#ack + 1) & 0xffff;
      if (next === this.#peerFin) {
        this.#ack = next;
        this.#ended = true;
        this.#wake();
        return;
      }
      const slot = next & (REORDER_SLOTS - 1);
      const length = this.#reorderLength[slot];
      if (length < 0 || this.#reorderCount === 0) return;
      if (!this.#deliver(this.#reorder[slot]!.subarray(0, length))) return;
      this.#reorderLength[slot] = -1;
      this.#reorderCount--;
      this.#reorderBytes -= length;
      this.#ack = next;
    }
  }

  #afterRead(): void {
    // The window had closed: the sender waits for news that it opened again.
    if (this.#advertised < this.#maxPayload * 4 && this.#window() >= this.#maxPayload * 4) {
      this.#sendState();
    }
  }

  #window(): number {
    return Math.max(0, this.#receive.free - this.#reorderBytes);
  }

  #ackSoon(): void {
    this.#ackTimer ??= this.#clock.after(1, () => {
      this.#ackTimer = undefined;
      if (this.#unacked > 0 && this.#state !== "closed") this.#sendState();
    });
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Writes made in one turn of the event loop share packets.
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Sends what the windows allow: presumed-lost packets first, then new bytes, then the FIN. */
  #flush(probe = false): void {
    if (this.#state !== "connected") return;
    while (this.#resendFrom >= 0) {
      // Acks may have passed the cursor: what they covered must not go out
      // again, nor be counted in flight where no ack will ever take it out.
      if (seqDistance(this.#resendFrom, this.#oldest) < 0) this.#resendFrom = this.#oldest;
      if (this.#resendFrom === this.#seq) {
        this.#resendFrom = -1;
        break;
      }
      const slot = this.#resendFrom & (OUT_SLOTS - 1);
      if (!this.#slotAcked[slot] && !this.#slotCounted[slot]) {
        if (!this.#fits(this.#slotLength[slot], probe)) return;
        this.#transmit(this.#resendFrom);
        probe = false;
      }
      this.#resendFrom = (this.#resendFrom + 1) & 0xffff;
    }
    while (this.#unsent < this.#send.end) {
      const length = Math.min(this.#maxPayload, this.#send.end - this.#unsent);
      if (!this.#fits(length, probe) || this.#slotsFull()) return;
      this.#queuePacket(length, false);
      probe = false;
    }
    if (this.#closing && this.#finSeq < 0 && !this.#slotsFull()) {
      this.#finSeq = this.#seq;
      this.#queuePacket(0, true);
    }
  }

  /** Whether a packet of `length` may go now: within both windows, or alone as a probe. */
  #fits(length: number, probe: boolean): boolean {
    if (this.#inFlight === 0) return probe || length === 0 || this.#peerWindow >= length;
    return this.#inFlight + length <= Math.min(this.#cwnd, this.#peerWindow);
  }

  #slotsFull(): boolean {
    return seqDistance(this.#seq, this.#oldest) >= OUT_SLOTS - 1;
  }

  #queuePacket(length: number, fin: boolean): void {
    const seq = this.#seq;
    const slot = seq & (OUT_SLOTS - 1);
    this.#slotOffset[slot] = this.#unsent;
    this.#slotLength[slot] = length;
    this.#slotSends[slot] = 0;
    this.#slotAcked[slot] = 0;
    this.#slotFin[slot] = fin ? 1 : 0;
    this.#unsent += length;
    this.#seq = (seq + 1) & 0xffff;
    this.#transmit(seq);
  }

  #transmit(seq: number): void {
    const slot = seq & (OUT_SLOTS - 1);
    const length = this.#slotLength[slot];
    if (!this.#slotCounted[slot]) {
      this.#slotCounted[slot] = 1;
      this.#inFlight += length;
    }
    this.#slotSends[slot] = Math.min(255, this.#slotSends[slot] + 1);
    this.#slotSentAt[slot] = this.#clock.now();
    this.#sendPacket(
      this.#slotFin[slot] ? ST_FIN : ST_DATA,
      seq,
      this.#slotOffset[slot],
      length,
    );
  }

  #sendState(): void {
    this.#sendPacket(ST_STATE, this.#seq, 0, 0);
  }

  /** Writes one packet (the current ack, window and delay in its header) and sends it. */
  #sendPacket(type: number, seq: number, offset: number, length: number): void {
    this.#emit(type, this.sendId, seq, offset, length);
  }

  #emit(type: number, connectionId: number, seq: number, offset: number, length: number): void {
    const now = this.#clock.now();
    const packet = this.#packet;
    const selectiveAck = this.#reorderCount > 0 ? this.#selectiveAckMask() : undefined;
    const window = this.#window();
    const payloadAt = encodeHeader(packet, {
      type,
      connectionId,
      timestamp: micros(now),
      timestampDifference: this.#replyMicros,
      windowSize: window,
      seq,
      ack: this.#ack,
    }, selectiveAck);
    if (length > 0) this.#send.copyOut(offset, packet, payloadAt, length);
    this.#sink(packet.subarray(0, payloadAt + length));
    this.#advertised = window;
    this.#lastSent = now;
    this.#unacked = 0;
    this.#ackTimer?.cancel();
    this.#ackTimer = undefined;
  }

  /** Bit i: packet ack + 2 + i is held; as many 4-byte words as the furthest one needs. */
  #selectiveAckMask(): Uint8Array {
    const mask = this.#selectiveAck;
    mask.fill(0);
    let furthest = -1;
    for (let bit = 0; bit < MAX_SELECTIVE_ACK_BYTES * 8; bit++) {
      const slot = (this.#ack + 2 + bit) & (REORDER_SLOTS - 1);
      if (this.#reorderLength[slot] < 0) continue;
      mask[bit >> 3] |= 1 << (bit & 7);
      furthest = bit;
    }
    return mask.subarray(0, Math.max(4, (Math.floor(furthest / 32) + 1) * 4));
  }

  #wake(): void {
    const reader = this.#readWaiter;
    const writer = this.#writeWaiter;
    this.#readWaiter = this.#writeWaiter = undefined;
    reader?.();
    writer?.();
  }

  #finish(reason: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#error = reason;
    this.#ackTimer?.cancel();
    this.#connected.reject(new TransportError(reason));
    this.#wake();
    this.#onGone(this);
  }
}

/** The clock in microseconds, wrapping at 2^32, as uTP timestamps are. */
function micros(ms: number): number {
  return Math.floor(ms * 1000) >>> 0;
}
