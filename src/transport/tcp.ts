import {
  closeQuietly,
  type Endpoint,
  type PeerStream,
  type StreamListener,
  type Transport,
  TransportError,
} from "./stream.ts";

/**
 * Peer connections over TCP: the only module that touches `Deno.Conn`.
 * Streams have Nagle's algorithm off: requests and haves are small and
 * must not wait for an acknowledgement.
 */
export const tcpTransport: Transport = {
  async dial(endpoint: Endpoint, timeoutMs: number): Promise<PeerStream> {
    try {
      const conn = await Deno.connect({
        hostname: endpoint.ip,
        port: endpoint.port,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return tcpStream(conn);
    } catch (error) {
      throw new TransportError(describeSocketError(error));
    }
  },

  listen(host: string, port: number): StreamListener {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: host, port, transport: "tcp" });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new TransportError(`port ${port} is already in use`);
      }
      throw new TransportError(`cannot listen on ${host}:${port}: ${describeSocketError(error)}`);
    }
    return {
      port: listener.addr.port,
      close: () => closeQuietly(listener),
      async *[Symbol.asyncIterator]() {
        try {
          for await (const conn of listener) yield tcpStream(conn);
        } catch (error) {
          // Closing the listener ends the loop; anything else is worth saying.
          if (!(error instanceof Deno.errors.BadResource)) throw error;
        }
      },
    };
  },
};

function tcpStream(conn: Deno.TcpConn): PeerStream {
  conn.setNoDelay(true);
  const remote = conn.remoteAddr;
  return {
    remote: { ip: remote.hostname, port: remote.port },
    via: "TCP",
    // Socket errors become TransportErrors that say what happened in words.
    read: (buffer) => conn.read(buffer).catch(rethrowDescribed),
    write: (bytes) => conn.write(bytes).catch(rethrowDescribed),
    close: () => closeQuietly(conn),
  };
}

function rethrowDescribed(error: unknown): never {
  throw new TransportError(describeSocketError(error));
}

/**
 * A socket error as a short phrase for people.
 *
 * @example
 * ```ts
 * describeSocketError(new Deno.errors.ConnectionReset("x")); // "connection reset by the peer"
 * ```
 */
export function describeSocketError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by the peer";
  if (error instanceof Deno.errors.BrokenPipe) return "the peer went away";
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return "connection closed";
  }
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  return error instanceof Error ? error.message : String(error);
}
