/**
 * An HTTP server that owns its connections: it accepts them itself, closes
 * the ones left idle, holds at most a set number, and rides out accept
 * failures such as EMFILE. `Deno.serve` does none of this: its accept loop
 * ends the server on the first failed accept (`op_http_serve` in Deno's
 * ext/http/http_next.rs returns on the error, so "Too many open files"
 * stops the process), and it has no idle or header-read timeout and no
 * connection limit (denoland/deno#3515; a keep-alive timeout is proposed in
 * denoland/deno#34172). So each accepted connection is handed to Deno's own
 * HTTP server for one connection, the function `Deno.serve` itself runs on
 * each of its connections.
 *
 * @module
 */

/** What answers each request (a synchronous answer stays synchronous). */
export type HttpHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** How an {@link listenHttp} server runs. */
export interface HttpListenerOptions {
  readonly hostname: string;
  readonly port: number;
  /** Aborting it closes the listener and every connection. */
  readonly signal: AbortSignal;
  /** Most connections open at once; past it, the longest-idle one is closed for a new one. */
  readonly maxConnections: number;
  /**
   * A connection with no request in flight for this long is closed: idle
   * keep-alive connections, and clients that never finish their headers.
   */
  readonly idleTimeoutMs: number;
  readonly handler: HttpHandler;
  /** The answer when the handler throws. */
  readonly onError: (error: unknown) => Response;
  readonly log?: (line: string) => void;
}

/** A running server. */
export interface HttpListener {
  /** Where it listens, with the port actually bound. */
  readonly addr: Deno.NetAddr;
  /** Settles once the listener and every connection are closed. */
  readonly finished: Promise<void>;
}

/** First pause after a failed accept; it doubles with each failure in a row. */
const ACCEPT_BACKOFF_MIN_MS = 10;
/** Longest pause between accepts that fail (EMFILE clears as connections close). */
const ACCEPT_BACKOFF_MAX_MS = 1000;
/** Accept failures are logged at most this often. */
const ACCEPT_LOG_INTERVAL_MS = 60_000;
/** The connection cap is logged again once the count falls below this share of it. */
const CAP_LOG_REARM = 0.9;

type ServeOnConnection = (
  connection: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: HttpHandler,
  onError: (error: unknown) => Response,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

/**
 * Deno's HTTP server for one connection we accepted. No public API serves
 * one connection in Deno 2 (`Deno.serveHttp` left the types and is the old,
 * slower server), so this is `Deno.serve`'s own per-connection entry point,
 * from Deno's internals; undefined if a Deno release drops it.
 */
function serveOnConnection(): ServeOnConnection | undefined {
  const deno = Deno as unknown as { internal?: symbol } & Record<symbol, unknown>;
  const internal = deno.internal === undefined ? undefined : deno[deno.internal];
  const serve = (internal as { serveHttpOnConnection?: unknown } | undefined)
    ?.serveHttpOnConnection;
  return typeof serve === "function" ? serve as ServeOnConnection : undefined;
}

/** One accepted connection. */
interface Connection {
  /**
   * Closes it once no request is in flight (at once when idle). Not an abort
   * signal: aborting races Deno's own close of a finished connection, and
   * the "Bad resource ID" it then throws in the signal's listener is
   * uncaught.
   */
  shutdown: () => Promise<void>;
  /** Requests whose handler has not returned yet. */
  inFlight: number;
  /** When the last request's handler returned (or the connection was accepted). */
  idleSince: number;
  /** Told to close, not closed yet. */
  closing: boolean;
  /** Settles once Deno's server for it is done. */
  closed: Promise<void>;
}

/**
 * Listens on `hostname:port` and serves HTTP/1.1 (and HTTP/2) with
 * `handler`, closing idle connections after `idleTimeoutMs` and holding at
 * most `maxConnections`. Falls back to plain `Deno.serve`, with a log line
 * saying what is lost, on a Deno without the per-connection server.
 *
 * @example
 * ```ts
 * const server = await listenHttp({
 *   hostname: "127.0.0.1", port: 0, signal, maxConnections: 1000, idleTimeoutMs: 30_000,
 *   handler: () => new Response("ok"), onError: () => new Response("error", { status: 500 }),
 * });
 * console.log(server.addr.port);
 * ```
 */
export async function listenHttp(options: HttpListenerOptions): Promise<HttpListener> {
  const serveOn = serveOnConnection();
  if (!serveOn) return await plainServe(options);
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  return new ConnectionPool(listener, serveOn, options);
}

async function plainServe(options: HttpListenerOptions): Promise<HttpListener> {
  options.log?.(
    `this Deno (${Deno.version.deno}) has no per-connection HTTP server: idle connections ` +
      "are not closed, and running out of descriptors stops the tracker",
  );
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: (addr) => listening.resolve(addr),
    onError: options.onError,
  }, options.handler);
  return { addr: await listening.promise, finished: server.finished };
}

class ConnectionPool implements HttpListener {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly #listener: Deno.TcpListener;
  readonly #serveOn: ServeOnConnection;
  readonly #options: HttpListenerOptions;
  readonly #connections = new Set<Connection>();
  /** Connections without a request in flight, longest idle first. */
  readonly #idle = new Set<Connection>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #closing = 0;
  #stopped = false;
  /** Wakes the accept loop when a connection closes or goes idle, or on shutdown. */
  #wake = Promise.withResolvers<void>();
  #capLogged = false;
  #acceptLoggedAt = -Infinity;

  constructor(
    listener: Deno.TcpListener,
    serveOn: ServeOnConnection,
    options: HttpListenerOptions,
  ) {
    this.addr = listener.addr;
    this.#listener = listener;
    this.#serveOn = serveOn;
    this.#options = options;
    this.#sweep = setInterval(
      () => this.#closeIdle(),
      Math.max(10, Math.floor(options.idleTimeoutMs / 4)),
    );
    options.signal.addEventListener("abort", () => this.#stop(), { once: true });
    this.finished = this.#acceptLoop();
    if (options.signal.aborted) this.#stop();
  }

  async #acceptLoop(): Promise<void> {
    let backoff = ACCEPT_BACKOFF_MIN_MS;
    while (!this.#stopped) {
      if (this.#connections.size >= this.#options.maxConnections) {
        this.#noteCap();
        // Room for one: the longest-idle connection goes, unless one is already going.
        if (this.#connections.size - this.#closing >= this.#options.maxConnections) {
          this.#closeLongestIdle();
        }
        await this.#wake.promise;
        continue;
      }
      let connection: Deno.TcpConn;
      try {
        connection = await this.#listener.accept();
      } catch (error) {
        if (this.#stopped) break;
        // EMFILE and the like: descriptors come back as connections close.
        this.#noteAcceptFailure(error);
        this.#closeLongestIdle();
        await this.#pause(backoff);
        backoff = Math.min(backoff * 2, ACCEPT_BACKOFF_MAX_MS);
        continue;
      }
      backoff = ACCEPT_BACKOFF_MIN_MS;
      this.#serve(connection);
    }
    await Promise.all([...this.#connections].map((connection) => connection.closed));
  }

  #serve(conn: Deno.TcpConn): void {
    const connection: Connection = {
      shutdown: () => Promise.resolve(),
      inFlight: 0,
      idleSince: performance.now(),
      closing: false,
      closed: Promise.resolve(),
    };
    const handler: HttpHandler = (request, info) => {
      if (connection.inFlight++ === 0) this.#idle.delete(connection);
      let answer: Response | Promise<Response>;
      try {
        answer = this.#options.handler(request, info);
      } catch (error) {
        this.#requestDone(connection);
        throw error;
      }
      if (answer instanceof Promise) return answer.finally(() => this.#requestDone(connection));
      this.#requestDone(connection);
      return answer;
    };
    let served: ReturnType<ServeOnConnection>;
    try {
      served = this.#serveOn(conn, undefined, handler, this.#options.onError, () => {});
    } catch {
      // The client went away before it was served (its address can no longer
      // be read): nothing to answer, and the descriptor may be gone already.
      try {
        conn.close();
      } catch {
        // taken and closed by the failed call
      }
      return;
    }
    connection.shutdown = () => served.shutdown();
    this.#connections.add(connection);
    this.#idle.add(connection);
    // A client that resets the connection is no error of ours.
    connection.closed = served.finished.catch(() => {}).finally(() => this.#gone(connection));
  }

  #requestDone(connection: Connection): void {
    if (--connection.inFlight > 0 || connection.closing) return;
    connection.idleSince = performance.now();
    this.#idle.add(connection);
    if (this.#connections.size >= this.#options.maxConnections) this.#signal();
  }

  #gone(connection: Connection): void {
    this.#connections.delete(connection);
    this.#idle.delete(connection);
    if (connection.closing) this.#closing--;
    this.#signal();
  }

  /** Closes connections idle for the timeout; the idle set is in idle-since order. */
  #closeIdle(): void {
    const cutoff = performance.now() - this.#options.idleTimeoutMs;
    for (const connection of this.#idle) {
      if (connection.idleSince > cutoff) break;
      this.#close(connection);
    }
    if (this.#connections.size < this.#options.maxConnections * CAP_LOG_REARM) {
      this.#capLogged = false;
    }
  }

  #closeLongestIdle(): void {
    const [longestIdle] = this.#idle;
    if (longestIdle) this.#close(longestIdle);
  }

  #close(connection: Connection): void {
    this.#idle.delete(connection);
    if (connection.closing) return;
    connection.closing = true;
    this.#closing++;
    connection.shutdown().catch(() => {});
  }

  #signal(): void {
    this.#wake.resolve();
    this.#wake = Promise.withResolvers<void>();
  }

  /** Waits `ms`, or less if woken (a connection closed, or shutdown). */
  async #pause(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#wake.promise,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  #noteCap(): void {
    if (this.#capLogged) return;
    this.#capLogged = true;
    this.#options.log?.(
      `${this.#options.maxConnections} connections open, the most --max-connections allows: ` +
        "the longest-idle one is closed for each new one",
    );
  }

  #noteAcceptFailure(error: unknown): void {
    const now = performance.now();
    if (now - this.#acceptLoggedAt < ACCEPT_LOG_INTERVAL_MS) return;
    this.#acceptLoggedAt = now;
    this.#options.log?.(
      `cannot accept connections (${error instanceof Error ? error.message : error}): ` +
        "closing idle ones and retrying",
    );
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweep);
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const connection of this.#connections) this.#close(connection);
    this.#signal();
  }
}
