import type { Clock, Timer } from "../session/mod.ts";
import { type Endpoint, formatEndpoint, unmapIpv4 } from "../transport/mod.ts";
import { DhtError, KrpcError, KrpcErrorCode } from "./errors.ts";
import { sourceKey } from "./routing_table.ts";
import {
  decodeKrpc,
  encodeKrpc,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponseBody,
} from "./krpc.ts";

/**
 * How the DHT sends and receives datagrams: the Client's shared UDP socket
 * (see `routerTransport`), or an in-memory network in tests and the
 * simulation benchmark, so the same node code runs over both.
 */
export interface DhtTransport {
  /** Our port, told to peers in the PORT message. */
  readonly port: number;
  /** Sends one datagram; `bytes` may be reused once this returns. */
  send(bytes: Uint8Array, to: Endpoint): void;
  /** Who receives the datagrams; `bytes` is valid only during the call. */
  receive(handler: (bytes: Uint8Array, from: Endpoint) => void): void;
}

/** How long a query waits for its answer before it counts as failed. */
export const QUERY_TIMEOUT_MS = 5_000;
/**
 * Queries of ours waiting for answers, at most: beyond it a new query fails
 * at once, so the table of pending transactions stays bounded.
 */
export const MAX_PENDING_QUERIES = 2_048;
/**
 * Queries a second one source may send us, sustained, and the burst it may
 * send at once: a lookup sends one or two queries to a node, a flood
 * thousands. Beyond it queries are dropped unanswered.
 */
export const SOURCE_RATE = { perSecond: 20, burst: 50 } as const;
/** Sources whose query rate is tracked, at most: the oldest is forgotten first. */
export const MAX_TRACKED_SOURCES = 4_096;

/** An answer that did not come (`timeout`) or came as a KRPC error (`error`). */
export class QueryFailed extends DhtError {
  override name = "QueryFailed";
  constructor(
    message: string,
    readonly reason: "timeout" | "error" | "overloaded",
    readonly code?: number,
  ) {
    super(message);
  }
}

/** What the RPC layer hands the node: a query to answer. */
export interface IncomingQuery {
  readonly t: Uint8Array;
  readonly query: KrpcQuery;
  /** Where it came from: answers go back there. */
  readonly from: Endpoint;
}

/** What a node answers a query with: a response body, or an error code and text. */
export type QueryAnswer = KrpcResponseBody | { readonly error: number; readonly message: string };

interface Pending {
  readonly to: Endpoint;
  readonly resolve: (body: KrpcResponseBody) => void;
  readonly reject: (error: QueryFailed) => void;
  readonly timer: Timer;
}

/** How an RPC layer behaves; tests shorten its timeout. */
export interface KrpcRpcOptions {
  readonly clock: Clock;
  readonly timeoutMs?: number;
  /** Our `v`: two letters for the client and two version bytes (BEP 5). */
  readonly version?: Uint8Array;
  /** Called for each query that passes the checks; its answer is sent back. */
  readonly onQuery: (incoming: IncomingQuery) => QueryAnswer;
  /** Why a datagram was dropped, for the verbose log and tests. */
  readonly onDrop?: (why: string, from: Endpoint) => void;
}

/** Counts of what went through the layer, for status and the benchmark. */
export interface RpcCounters {
  queriesSent: number;
  responsesReceived: number;
  timeouts: number;
  queriesReceived: number;
  dropped: number;
}

/**
 * KRPC over a datagram transport: our queries under transaction ids with a
 * timeout (answers are matched by id and by the address they were sent to,
 * so a third party cannot answer for a node), and incoming queries, rate
 * limited per source, handed to the node and answered. Malformed queries
 * get a KRPC error; malformed answers and errors are dropped silently.
 *
 * @example
 * ```ts
 * const rpc = new KrpcRpc(transport, { clock, onQuery: (q) => ({ id: ourId }) });
 * const body = await rpc.query(endpoint, { method: "ping", id: ourId });
 * ```
 */
export class KrpcRpc {
  readonly #transport: DhtTransport;
  readonly #options: KrpcRpcOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #rates = new Map<string, { tokens: number; at: number }>();
  #nextTransaction = Math.floor(Math.random() * 0x10000);
  #closed = false;
  readonly counters: RpcCounters = {
    queriesSent: 0,
    responsesReceived: 0,
    timeouts: 0,
    queriesReceived: 0,
    dropped: 0,
  };

  constructor(transport: DhtTransport, options: KrpcRpcOptions) {
    this.#transport = transport;
    this.#options = options;
    transport.receive((bytes, from) => this.#receive(bytes, from));
  }

  /** Queries of ours waiting for an answer. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends a query and resolves with its answer.
   *
   * @throws {QueryFailed} when no answer comes in time, a KRPC error comes
   * instead, or too many queries are waiting already.
   */
  query(to: Endpoint, query: KrpcQuery): Promise<KrpcResponseBody> {
    if (this.#closed) return Promise.reject(new QueryFailed("DHT closed", "overloaded"));
    if (this.#pending.size >= MAX_PENDING_QUERIES) {
      return Promise.reject(new QueryFailed("too many queries waiting", "overloaded"));
    }
    const t = this.#transactionId();
    const key = this.#pendingKey(t);
    const { promise, resolve, reject } = Promise.withResolvers<KrpcResponseBody>();
    const timer = this.#options.clock.after(this.#options.timeoutMs ?? QUERY_TIMEOUT_MS, () => {
      this.#pending.delete(key);
      this.counters.timeouts++;
      reject(new QueryFailed(`${query.method} to ${formatEndpoint(to)} timed out`, "timeout"));
    });
    this.#pending.set(key, { to: normalise(to), resolve, reject, timer });
    this.counters.queriesSent++;
    this.#transport.send(encodeKrpc({ kind: "query", t, query }, this.#options.version), to);
    return promise;
  }

  /** Fails every waiting query and stops answering. */
  close(): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      pending.timer.cancel();
      pending.reject(new QueryFailed("DHT closed", "overloaded"));
    }
    this.#pending.clear();
  }

  #transactionId(): Uint8Array {
    // Two bytes, as libtorrent uses: with at most MAX_PENDING_QUERIES waiting,
    // a counter does not come round to one still in use.
    for (;;) {
      this.#nextTransaction = (this.#nextTransaction + 1) & 0xffff;
      const t = new Uint8Array([this.#nextTransaction >> 8, this.#nextTransaction & 0xff]);
      if (!this.#pending.has(this.#pendingKey(t))) return t;
    }
  }

  #pendingKey(t: Uint8Array): string {
    return t.length === 2 ? String((t[0] << 8) | t[1]) : `x${t.join(",")}`;
  }

  #receive(bytes: Uint8Array, rawFrom: Endpoint): void {
    if (this.#closed) return;
    const from = normalise(rawFrom);
    let message: KrpcMessage;
    try {
      message = decodeKrpc(bytes);
    } catch (error) {
      if (!(error instanceof KrpcError)) throw error;
      this.#drop(error.message, from);
      // Only a query is answered, and only if it passes the rate limit.
      if (error.transactionId && this.#admit(from)) {
        this.#send({
          kind: "error",
          t: error.transactionId,
          code: error.code,
          message: error.message,
        }, from);
      }
      return;
    }
    switch (message.kind) {
      case "query":
        if (!this.#admit(from)) return this.#drop("query rate limit", from);
        this.counters.queriesReceived++;
        this.#answer(message.t, message.query, from);
        return;
      case "response":
      case "error": {
        const key = this.#pendingKey(message.t);
        const pending = this.#pending.get(key);
        if (!pending || pending.to.ip !== from.ip || pending.to.port !== from.port) {
          return this.#drop("answer to no query of ours", from);
        }
        this.#pending.delete(key);
        pending.timer.cancel();
        if (message.kind === "response") {
          this.counters.responsesReceived++;
          pending.resolve(message.body);
        } else {
          pending.reject(
            new QueryFailed(
              `KRPC error ${message.code}: ${message.message}`,
              "error",
              message.code,
            ),
          );
        }
        return;
      }
    }
  }

  #answer(t: Uint8Array, query: KrpcQuery, from: Endpoint): void {
    let answer: QueryAnswer;
    try {
      answer = this.#options.onQuery({ t, query, from });
    } catch (error) {
      answer = { error: KrpcErrorCode.server, message: String(error) };
    }
    if ("error" in answer) {
      this.#send({ kind: "error", t, code: answer.error, message: answer.message }, from);
    } else {
      this.#send({ kind: "response", t, body: answer }, from);
    }
  }

  #send(message: KrpcMessage, to: Endpoint): void {
    this.#transport.send(encodeKrpc(message, this.#options.version), to);
  }

  /** A token bucket per source: false once it sent more than its share. */
  #admit(from: Endpoint): boolean {
    const key = sourceKey(from);
    const now = this.#options.clock.now();
    let rate = this.#rates.get(key);
    if (rate) {
      this.#rates.delete(key);
      rate.tokens = Math.min(
        SOURCE_RATE.burst,
        rate.tokens + ((now - rate.at) / 1000) * SOURCE_RATE.perSecond,
      );
      rate.at = now;
    } else {
      rate = { tokens: SOURCE_RATE.burst, at: now };
      if (this.#rates.size >= MAX_TRACKED_SOURCES) {
        this.#rates.delete(this.#rates.keys().next().value!);
      }
    }
    // Re-inserted: the map's order is least recently heard first.
    this.#rates.set(key, rate);
    if (rate.tokens < 1) return false;
    rate.tokens--;
    return true;
  }

  #drop(why: string, from: Endpoint): void {
    this.counters.dropped++;
    this.#options.onDrop?.(why, from);
  }
}

/** An endpoint as compared: IPv4 seen through a dual-stack socket as plain IPv4. */
function normalise(endpoint: Endpoint): Endpoint {
  return { ip: unmapIpv4(endpoint.ip), port: endpoint.port };
}
