import type { Client } from "../client/mod.ts";
import type { CliEnv } from "../cli/env.ts";
import { daemonApp } from "./app.ts";
import { csrfTokenFor, loadOrCreateToken } from "./auth.ts";
import { DaemonError } from "./errors.ts";
import { TorrentRegistry } from "./registry.ts";
import { StateStore } from "./state_store.ts";

/** How a daemon runs. */
export interface DaemonOptions {
  readonly env: CliEnv;
  /** The process's Client, listening for peers; the daemon closes it. */
  readonly client: Client;
  /** Where its token and list of torrents are kept. */
  readonly folder: string;
  /** Where torrents go unless a request names a directory. */
  readonly downloadDirectory: string;
  readonly webHost: string;
  /** The web UI's port (0: any free one). */
  readonly webPort: number;
  readonly version: string;
  /** Whether the Client runs a DHT node (shown by `GET /api/session`). */
  readonly dht: boolean;
  readonly log: (line: string) => void;
}

/** A running daemon. */
export interface RunningDaemon {
  readonly port: number;
  readonly token: string;
  /** The page's address with the token, which sets the cookie. */
  readonly url: string;
  readonly registry: TorrentRegistry;
  /** Stops the torrents (announcing `stopped`), the Client and the web server. */
  close(): Promise<void>;
}

/** Whether a listening address is loopback only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/**
 * Starts the daemon: its token (made at the first start), the web server,
 * then every saved torrent, each rechecked and resumed as `get` would, the
 * paused ones left paused.
 *
 * @throws {DaemonError} when the web port is taken or the saved state is unreadable.
 * @example
 * ```ts
 * const daemon = await startDaemon({ env, client, folder, downloadDirectory: ".", webHost: "127.0.0.1", webPort: 9092, version, dht: false, log });
 * ```
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const token = await loadOrCreateToken(options.folder);
  const store = new StateStore(options.folder);
  const saved = await store.load();
  const registry = new TorrentRegistry({
    client: options.client,
    store,
    createdBy: `p2p/${options.version}`,
    log: options.log,
  });
  const stopping = new AbortController();
  let port = options.webPort;
  const app = daemonApp(
    { token, csrf: csrfTokenFor(token), beyondLoopback: !isLoopback(options.webHost) },
    {
      registry,
      env: options.env,
      downloadDirectory: options.downloadDirectory,
      stopping: stopping.signal,
      session: () => ({
        version: options.version,
        peerPort: options.client.port,
        webPort: port,
        downloadDirectory: options.downloadDirectory,
        dht: options.dht,
      }),
    },
    options.log,
    options.version,
  );
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: options.webHost, port: options.webPort, onListen() {} },
      app.fetch,
    );
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new DaemonError(409, `web port ${options.webPort} on ${options.webHost} is taken`);
    }
    throw new DaemonError(
      400,
      `cannot listen on ${options.webHost}:${options.webPort}: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  port = server.addr.port;
  registry.restore(saved);
  const shown = options.webHost.includes(":") ? `[${options.webHost}]` : options.webHost;
  return {
    port,
    token,
    url: `http://${shown === "0.0.0.0" ? "127.0.0.1" : shown}:${port}/?token=${token}`,
    registry,
    async close() {
      stopping.abort();
      await registry.close();
      await server.shutdown();
    },
  };
}
