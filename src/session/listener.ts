import { toHex } from "../metainfo/mod.ts";
import { readHandshake, sendHandshake } from "./handshake_io.ts";
import type { TorrentSession } from "./session.ts";

/** Connections accepted but not yet through their handshake, at most. */
export const MAX_PENDING_HANDSHAKES = 64;

/**
 * The listening port shared by every torrent of a process: the info hash in
 * an incoming handshake routes the peer to its session; unknown torrents
 * and foreign protocols are closed.
 */
export class PeerListener {
  readonly #sessions = new Map<string, TorrentSession>();
  readonly #listener: Deno.TcpListener;
  #pending = 0;
  #closed = false;

  private constructor(listener: Deno.TcpListener, readonly log?: (line: string) => void) {
    this.#listener = listener;
    this.#acceptLoop().catch((error) => {
      if (!this.#closed) {
        log?.(`listener stopped: ${error instanceof Error ? error.message : error}`);
      }
    });
  }

  /**
   * Listens on `hostname:port` (port 0: any free port).
   *
   * @example
   * ```ts
   * const listener = PeerListener.listen("0.0.0.0", 6881);
   * listener.add(session);
   * ```
   */
  static listen(hostname: string, port: number, log?: (line: string) => void): PeerListener {
    return new PeerListener(Deno.listen({ hostname, port, transport: "tcp" }), log);
  }

  /** The port actually bound. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Routes incoming peers for this session's torrent to it. */
  add(session: TorrentSession): void {
    this.#sessions.set(session.torrent.infoHashHex, session);
  }

  async #acceptLoop(): Promise<void> {
    for await (const conn of this.#listener) {
      if (this.#pending >= MAX_PENDING_HANDSHAKES) {
        conn.close();
        continue;
      }
      this.#pending++;
      this.#admit(conn).finally(() => this.#pending--);
    }
  }

  async #admit(conn: Deno.TcpConn): Promise<void> {
    const remote = conn.remoteAddr;
    const address = remote.hostname.includes(":")
      ? `[${remote.hostname}]:${remote.port}`
      : `${remote.hostname}:${remote.port}`;
    try {
      const handshake = await readHandshake(conn);
      const session = this.#sessions.get(toHex(handshake.infoHash));
      if (!session) {
        conn.close();
        this.log?.(`refused ${address}: unknown torrent ${toHex(handshake.infoHash).slice(0, 8)}`);
        return;
      }
      await sendHandshake(conn, session.torrent.infoHash, session.options.peerId);
      session.attach(conn, handshake, address);
    } catch (error) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      this.log?.(`refused ${address}: ${error instanceof Error ? error.message : error}`);
    }
  }

  /** Stops listening. */
  close(): void {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }
}
