import dgram from "node:dgram";
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
 * Binds a UDP socket (`node:dgram`: `Deno.listenDatagram` still needs
 * --unstable-net) and answers each datagram with what `respond` returns,
 * sent back to its source. Nothing a datagram holds can stop the socket: an
 * exception while answering is logged and the datagram dropped.
 *
 * @throws {TrackerError} when the port is taken or the address is not local.
 * @example
 * ```ts
 * const udp = await listenUdp({ hostname: "127.0.0.1", port: 6969, signal, respond });
 * ```
 */
export async function listenUdp(options: UdpListenerOptions): Promise<UdpListener> {
  const { hostname, log } = options;
  const socket = dgram.createSocket(hostname.includes(":") ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port, hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw bindError(error, hostname, options.port);
  }
  const finished = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", (error) => log?.(`UDP socket error: ${error.message}`));
  socket.on("message", (datagram, source) => {
    let answer: Uint8Array | null;
    try {
      answer = options.respond(datagram, source.address, source.port);
    } catch (error) {
      log?.(`internal error on UDP: ${error instanceof Error ? error.message : error}`);
      return;
    }
    // Port 0 cannot be sent to (only a forged source has it), and a send
    // that fails (an unreachable source) is the source's loss alone.
    if (answer && source.port !== 0) socket.send(answer, source.port, source.address, () => {});
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.close();
  };
  if (options.signal.aborted) close();
  else options.signal.addEventListener("abort", close, { once: true });
  return { port: socket.address().port, close, finished };
}

function bindError(error: unknown, hostname: string, port: number): unknown {
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") {
    return new TrackerError(`UDP port ${port} on ${hostname} is already in use`);
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_NONAME") {
    return new TrackerError(`cannot listen for UDP on ${hostname}: no such local address`);
  }
  return error;
}
