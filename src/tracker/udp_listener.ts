import { bindUdp, type DatagramSocket, TransportError } from "../transport/mod.ts";
import { TrackerError } from "./errors.ts";
import type { UdpResponder } from "./udp_tracker.ts";

/** How a {@link listenUdp} socket runs. */
export interface UdpListenerOptions {
  readonly hostname: string;
  readonly port: number;
  /** Aborting it closes the socket. */
  readonly signal: AbortSignal;
  readonly respond: UdpResponder;
  readonly log?: (line: string) => void;
}

/** A bound UDP socket that answers datagrams. */
export interface UdpListener {
  /** The port actually bound. */
  readonly port: number;
  /** Closes the socket (as aborting the signal does). */
  close(): void;
  /** Settles once the socket is closed. */
  readonly finished: Promise<void>;
}

/**
 * Binds a UDP socket (the Client's `bindUdp`: `Deno.listenDatagram`,
 * which receives forty times as many datagrams a second here as
 * `node:dgram`) and answers each datagram with what `respond` returns,
 * sent back to its source. Nothing a datagram holds can stop the socket: an
 * exception while answering is logged and the datagram dropped.
 *
 * @throws {TrackerError} when the port is taken or the address is not local.
 * @example
 * ```ts
 * const udp = await listenUdp({ hostname: "127.0.0.1", port: 6969, signal, respond });
 * ```
 */
export function listenUdp(options: UdpListenerOptions): Promise<UdpListener> {
  const { hostname, log } = options;
  let socket: DatagramSocket;
  try {
    socket = bindUdp(hostname, options.port);
  } catch (error) {
    return Promise.reject(bindError(error, hostname, options.port));
  }
  const finished = Promise.withResolvers<void>();
  socket.receive((datagram, source) => {
    let answer: Uint8Array | null;
    try {
      answer = options.respond(datagram, source.ip, source.port);
    } catch (error) {
      log?.(`internal error on UDP: ${error instanceof Error ? error.message : error}`);
      return;
    }
    // A send that fails (an unreachable or forged source) is the source's loss alone.
    if (answer) socket.send(answer, source);
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.close();
    finished.resolve();
  };
  if (options.signal.aborted) close();
  else options.signal.addEventListener("abort", close, { once: true });
  return Promise.resolve({ port: socket.port, close, finished: finished.promise });
}

function bindError(error: unknown, hostname: string, port: number): unknown {
  const cause = error instanceof TransportError ? error.cause : error;
  if (cause instanceof Deno.errors.AddrInUse) {
    return new TrackerError(`UDP port ${port} on ${hostname} is already in use`);
  }
  if (cause instanceof Deno.errors.AddrNotAvailable || cause instanceof Deno.errors.NotFound) {
    return new TrackerError(`cannot listen for UDP on ${hostname}: no such local address`);
  }
  return new TrackerError(error instanceof Error ? error.message : String(error));
}
