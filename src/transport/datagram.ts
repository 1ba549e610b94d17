import type { Endpoint } from "./stream.ts";
import { TransportError } from "./stream.ts";

/**
 * One UDP socket as the protocols on it see it: uTP and the DHT share one
 * per Client, on the TCP listener's port number, as libtorrent does. Tests
 * plug in an in-memory network instead.
 */
export interface DatagramSocket {
  /** The port actually bound. */
  readonly port: number;
  /**
   * Sends one datagram. `bytes` may be reused as soon as this returns (the
   * socket keeps its own copy until the kernel has it); a datagram that
   * cannot be sent is dropped, as UDP promises nothing.
   */
  send(bytes: Uint8Array, to: Endpoint): void;
  /**
   * Who receives the datagrams (one receiver; a {@link DatagramRouter}
   * shares them out). `bytes` is only valid during the call.
   */
  receive(handler: DatagramHandler): void;
  /** Closes the socket; closing twice is harmless. */
  close(): void;
}

/** Called with each datagram received, valid only during the call. */
export type DatagramHandler = (bytes: Uint8Array, from: Endpoint) => void;

/** Largest datagram read; longer ones are cut to it (and then fail their protocol's checks). */
export const MAX_DATAGRAM = 65_536;
/** Copies of outgoing datagrams waiting for the kernel, at most; beyond it sends are dropped. */
const MAX_SENDS_IN_FLIGHT = 4_096;

/**
 * Binds a UDP socket on `host:port` (0: any free port). `Deno.listenDatagram`
 * (which needs --unstable-net) rather than `node:dgram`: measured here,
 * `node:dgram` in Deno 2.9 received about a thousand datagrams a second
 * per socket, `Deno.listenDatagram` forty thousand.
 *
 * @throws {TransportError} when the port is taken or cannot be bound.
 * @example
 * ```ts
 * const udp = bindUdp("0.0.0.0", 6881);
 * udp.receive((bytes, from) => console.log(bytes.length, from));
 * ```
 */
export function bindUdp(host: string, port: number): DatagramSocket {
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ hostname: host, port, transport: "udp" });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new TransportError(`UDP port ${port} is already in use`, { cause: error });
    }
    throw new TransportError(
      `cannot listen on UDP ${host}:${port}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const bound = (socket.addr as Deno.NetAddr).port;
  const spare: Uint8Array[] = [];
  let inFlight = 0;
  // A connection sends to the same endpoint object each time: its address is made once.
  const addresses = new WeakMap<Endpoint, Deno.NetAddr>();
  let handler: DatagramHandler = () => {};
  let closed = false;

  const receiveLoop = async () => {
    const buffer = new Uint8Array(MAX_DATAGRAM);
    while (!closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await socket.receive(buffer);
      } catch {
        // Closed, or an ICMP error reported on the socket: only closing ends the loop.
        if (closed) return;
        continue;
      }
      const [bytes, from] = received;
      const { hostname, port } = from as Deno.NetAddr;
      try {
        handler(bytes, { ip: hostname, port });
      } catch {
        // A receiver's bug must not stop the socket for every other receiver.
      }
    }
  };
  receiveLoop();

  return {
    port: bound,
    send(bytes, to) {
      if (closed || inFlight >= MAX_SENDS_IN_FLIGHT || to.port === 0) return;
      // Deno reads the bytes when the send runs, not when it is called: a copy
      // from a pool keeps the caller free to reuse its buffer at once.
      let copy = spare.pop();
      if (!copy || copy.length < bytes.length) copy = new Uint8Array(Math.max(bytes.length, 2048));
      copy.set(bytes);
      inFlight++;
      let address = addresses.get(to);
      if (!address) {
        address = { transport: "udp", hostname: to.ip, port: to.port };
        addresses.set(to, address);
      }
      socket.send(copy.subarray(0, bytes.length), address)
        .catch(() => {})
        .finally(() => {
          inFlight--;
          spare.push(copy);
        });
    },
    receive(next) {
      handler = next;
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        socket.close();
      } catch {
        // already closed
      }
    },
  };
}

/**
 * Shares one socket's datagrams between the protocols on it by their first
 * byte: a bencoded KRPC message (the DHT) starts with `d`, a uTP packet with
 * its type and version 1 in one byte. Anything else is dropped.
 */
export class DatagramRouter {
  #utp: DatagramHandler | undefined;
  #krpc: DatagramHandler | undefined;

  constructor(readonly socket: DatagramSocket) {
    socket.receive((bytes, from) => {
      if (bytes.length === 0) return;
      const first = bytes[0];
      if (first === KRPC_FIRST_BYTE) this.#krpc?.(bytes, from);
      else if ((first & 0x0f) === 1 && first >> 4 <= 4) this.#utp?.(bytes, from);
    });
  }

  /** Receives the uTP packets. */
  onUtp(handler: DatagramHandler): void {
    this.#utp = handler;
  }

  /** Receives the KRPC (DHT) messages. */
  onKrpc(handler: DatagramHandler): void {
    this.#krpc = handler;
  }
}

/** `d`, which every bencoded dictionary starts with. */
const KRPC_FIRST_BYTE = 0x64;
