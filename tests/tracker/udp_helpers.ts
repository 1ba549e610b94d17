/**
 * A BEP 15 peer for tracker tests: a `node:dgram` socket on loopback that
 * sends requests built with the codec and waits (bounded) for answers.
 *
 * @module
 */
import dgram from "node:dgram";
import {
  decodeConnectResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  type UdpAnnounceRequest,
} from "../../src/tracker/mod.ts";
import { id } from "./tracker_helpers.ts";

/** How long a test waits for any one answer. */
const ANSWER_MS = 5000;

/** A random 32-bit transaction id. */
export function transactionId(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** An announce with every field overridable (the defaults: a leecher of 0xaa…). */
export function announceFields(
  connectionId: bigint,
  fields: Partial<UdpAnnounceRequest> = {},
): UdpAnnounceRequest {
  return {
    connectionId,
    transactionId: transactionId(),
    infoHash: id(0xaa),
    peerId: id(0x01),
    downloaded: 0,
    left: 1000,
    uploaded: 0,
    event: "started",
    key: 0,
    numWant: -1,
    port: 6881,
    ...fields,
  };
}

/** One UDP socket talking to a tracker's `udp://host:port/announce`. */
export class UdpPeer {
  readonly #socket: dgram.Socket;
  readonly #host: string;
  readonly #trackerPort: number;
  readonly #inbox: Uint8Array[] = [];
  #waiter: (() => void) | undefined;

  private constructor(socket: dgram.Socket, host: string, trackerPort: number) {
    this.#socket = socket;
    this.#host = host;
    this.#trackerPort = trackerPort;
    socket.on("message", (datagram) => {
      this.#inbox.push(new Uint8Array(datagram));
      this.#waiter?.();
    });
  }

  /** A socket on the loopback address of the tracker URL's family. */
  static async open(trackerUrl: string): Promise<UdpPeer> {
    const url = new URL(trackerUrl);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return new UdpPeer(socket, host, Number(url.port));
  }

  /** The socket's own port: the source port the tracker sees. */
  get port(): number {
    return this.#socket.address().port;
  }

  send(datagram: Uint8Array): void {
    this.#socket.send(datagram, this.#trackerPort, this.#host);
  }

  /** The next datagram to arrive (or one already waiting); rejects after a while. */
  async next(): Promise<Uint8Array> {
    const deadline = Date.now() + ANSWER_MS;
    while (this.#inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer from the tracker within ${ANSWER_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#inbox.shift()!;
  }

  /** Sends `datagram` and waits for the next answer. */
  request(datagram: Uint8Array): Promise<Uint8Array> {
    this.send(datagram);
    return this.next();
  }

  /** A connection id for this socket. */
  async connect(): Promise<bigint> {
    const transaction = transactionId();
    return decodeConnectResponse(
      await this.request(encodeConnectRequest(transaction)),
      transaction,
    );
  }

  /** Announces and returns the raw answer. */
  announce(connectionId: bigint, fields: Partial<UdpAnnounceRequest> = {}): Promise<Uint8Array> {
    return this.request(encodeAnnounceRequest(announceFields(connectionId, fields)));
  }

  /**
   * Everything the tracker answers to `datagrams`, without a fixed wait:
   * a connect request follows them, and the datagrams that arrive before
   * its answer are theirs (the tracker answers one socket's datagrams in
   * order).
   */
  async answersTo(...datagrams: Uint8Array[]): Promise<Uint8Array[]> {
    for (const datagram of datagrams) this.send(datagram);
    const marker = transactionId();
    this.send(encodeConnectRequest(marker));
    const answers: Uint8Array[] = [];
    for (;;) {
      const answer = await this.next();
      const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
      if (answer.length === 16 && view.getUint32(0) === 0 && view.getUint32(4) === marker) {
        return answers;
      }
      answers.push(answer);
    }
  }

  close(): void {
    this.#socket.close();
  }
}

/** Opens `count` peers, runs `fn`, and closes them whatever happens. */
export async function withUdpPeers(
  trackerUrl: string,
  count: number,
  fn: (...peers: UdpPeer[]) => Promise<void>,
): Promise<void> {
  const peers = await Promise.all(Array.from({ length: count }, () => UdpPeer.open(trackerUrl)));
  try {
    await fn(...peers);
  } finally {
    for (const peer of peers) peer.close();
  }
}

/** The action of an answer (its first four bytes). */
export function actionOf(answer: Uint8Array): number {
  return new DataView(answer.buffer, answer.byteOffset, answer.byteLength).getUint32(0);
}
