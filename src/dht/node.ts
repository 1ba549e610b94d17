import { type Clock, systemClock, type Timer } from "../session/mod.ts";
import { type Endpoint, formatEndpoint } from "../transport/mod.ts";
import { KrpcErrorCode } from "./errors.ts";
import type { CompactNode, KrpcQuery, KrpcResponseBody } from "./krpc.ts";
import { iterativeLookup, type LookupResult, type LookupSeed } from "./lookup.ts";
import { idInRange, type NodeId, randomNodeId, sameId } from "./node_id.ts";
import { PeerStore } from "./peer_store.ts";
import { K, type RoutingNode, RoutingTable } from "./routing_table.ts";
import { type DhtTransport, type IncomingQuery, KrpcRpc, type QueryAnswer } from "./rpc.ts";
import { TOKEN_ROTATION_MS, TokenIssuer } from "./tokens.ts";

/** How often the node looks after itself: stale buckets refreshed, expired peers dropped. */
export const MAINTENANCE_MS = 60_000;
/** How often the routing table is saved while the node runs (and once more when it closes). */
export const SAVE_EVERY_MS = 10 * 60_000;
/** Nodes saved for the next start, at most: the good ones first. */
export const MAX_SAVED_NODES = 256;
/** Bootstraps tried in a row at start while no node answers. */
const BOOTSTRAP_ATTEMPTS = 3;
/** Pings to nodes met through PORT messages or full buckets in flight at once, at most. */
const MAX_PINGS_IN_FLIGHT = 64;
/** Our KRPC `v`: "P2" for p2p, then the version (0.1). */
const CLIENT_VERSION = new Uint8Array([0x50, 0x32, 0, 1]);

/** What a node keeps across restarts: its id and the nodes it knew. */
export interface SavedDht {
  readonly id: NodeId;
  readonly nodes: readonly CompactNode[];
}

/** How a DHT node runs. */
export interface DhtNodeOptions {
  /** Our id (default: the saved one, else random). */
  readonly id?: NodeId;
  readonly clock?: Clock;
  /** Nodes to join the DHT through, when the saved table does not suffice. */
  readonly bootstrap?: readonly Endpoint[];
  /** What the node saved when it last ran. */
  readonly saved?: SavedDht;
  /** Keeps the node's state for the next start (a file in the data directory). */
  readonly save?: (state: SavedDht) => Promise<void>;
  /** How long a query waits for its answer. */
  readonly timeoutMs?: number;
  /** One node per IP address in the table (default true; loopback is told apart by port). */
  readonly oneNodePerIp?: boolean;
  /** Lines for people (the verbose log). */
  readonly log?: (line: string) => void;
}

/** What an announce did: the lookup that preceded it, and how many nodes took it. */
export interface AnnounceResult extends LookupResult {
  readonly announcedTo: number;
}

/**
 * A Mainline DHT node (BEP 5): answers ping, find_node, get_peers and
 * announce_peer from other nodes, and finds peers of torrents and
 * announces ours with iterative lookups. One per process, on the Client's
 * UDP socket (or a simulated network in tests).
 *
 * @example
 * ```ts
 * const node = new DhtNode(routerTransport(client.datagrams!), { bootstrap: [router] });
 * await node.start();
 * const { peers } = await node.announce(infoHash, client.port);
 * ```
 */
export class DhtNode {
  readonly id: NodeId;
  readonly table: RoutingTable;
  readonly store: PeerStore;
  readonly rpc: KrpcRpc;
  readonly clock: Clock;
  readonly #transport: DhtTransport;
  readonly #options: DhtNodeOptions;
  readonly #tokens = new TokenIssuer();
  readonly #timers: Timer[] = [];
  readonly #pinging = new Set<string>();
  readonly #ready = Promise.withResolvers<void>();
  #started = false;
  #closed = false;

  constructor(transport: DhtTransport, options: DhtNodeOptions = {}) {
    this.#transport = transport;
    this.#options = options;
    this.clock = options.clock ?? systemClock;
    this.id = options.id ?? options.saved?.id ?? randomNodeId();
    this.table = new RoutingTable(this.id, {
      clock: this.clock,
      oneNodePerIp: options.oneNodePerIp,
    });
    this.store = new PeerStore(this.clock);
    this.rpc = new KrpcRpc(transport, {
      clock: this.clock,
      timeoutMs: options.timeoutMs,
      version: CLIENT_VERSION,
      onQuery: (incoming) => this.#answer(incoming),
    });
  }

  /** The UDP port the node is reached on. */
  get port(): number {
    return this.#transport.port;
  }

  /** Resolves once the first bootstrap is over (at once with nothing to bootstrap from). */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /**
   * Joins the DHT: a lookup of our own id through the saved nodes and the
   * bootstrap nodes fills the buckets near us; timers then keep the table
   * fresh, rotate the token secret, expire stored peers and save the table.
   */
  async start(): Promise<void> {
    if (this.#started) return await this.ready;
    this.#started = true;
    const clock = this.clock;
    this.#timers.push(
      clock.every(TOKEN_ROTATION_MS, () => this.#tokens.rotate()),
      clock.every(MAINTENANCE_MS, () => this.#maintain()),
    );
    if (this.#options.save) this.#timers.push(clock.every(SAVE_EVERY_MS, () => this.#save()));
    try {
      // A bootstrap whose few queries were all lost is tried again at once;
      // after that, maintenance retries while the table stays empty.
      for (let attempt = 0; attempt < BOOTSTRAP_ATTEMPTS && this.table.size === 0; attempt++) {
        await this.bootstrap();
      }
    } finally {
      this.#ready.resolve();
    }
  }

  /**
   * Looks up our own id through the table, the saved nodes and the
   * bootstrap nodes; every node that answers enters the table.
   */
  async bootstrap(): Promise<LookupResult | undefined> {
    const seeds: LookupSeed[] = [
      ...this.table.closest(this.id, K),
      ...(this.#options.saved?.nodes ?? []),
      ...(this.#options.bootstrap ?? []).map((endpoint) => ({ endpoint })),
    ];
    if (seeds.length === 0) return undefined;
    const result = await this.findNode(this.id, seeds);
    // The lookup filled the buckets near us; one lookup in each farther
    // bucket's range fills those too, so our answers and lookups start
    // from a table that covers the whole id space.
    const far = this.table.bucketCount - 1;
    await Promise.all(
      Array.from({ length: far }, (_, index) => this.findNode(idInRange(this.id, index, true))),
    );
    this.#options.log?.(
      `DHT: ${this.table.size} nodes known after bootstrap (${result.replies} answered)`,
    );
    return result;
  }

  /** An iterative find_node lookup: the nodes nearest `target`. */
  findNode(target: NodeId, seeds?: readonly LookupSeed[]): Promise<LookupResult> {
    return this.#lookup(target, { method: "find_node", id: this.id, target }, seeds);
  }

  /** An iterative get_peers lookup: peers of a torrent, and the nodes nearest it with tokens. */
  getPeers(infoHash: Uint8Array): Promise<LookupResult> {
    return this.#lookup(infoHash, { method: "get_peers", id: this.id, infoHash });
  }

  /**
   * Finds a torrent's peers and announces us as one of them to the nodes
   * nearest it (announce_peer with the tokens their get_peers answers gave).
   * `port` is our peer port; none announces the port the query comes from
   * (implied_port), which is the same on our shared socket.
   */
  async announce(infoHash: Uint8Array, port?: number): Promise<AnnounceResult> {
    const found = await this.getPeers(infoHash);
    const announces = found.closest.filter((node) => node.token).map((node) =>
      this.#query(node.endpoint, node.id, {
        method: "announce_peer",
        id: this.id,
        infoHash,
        port: port ?? 0,
        impliedPort: port === undefined,
        token: node.token!,
      }).then(() => 1, () => 0)
    );
    const announcedTo = (await Promise.all(announces)).reduce<number>((sum, n) => sum + n, 0);
    return { ...found, announcedTo };
  }

  /**
   * A node heard of outside the DHT (a peer's PORT message): pinged, and
   * added to the table if it answers.
   */
  addNode(endpoint: Endpoint): void {
    this.#ping(endpoint, undefined);
  }

  /** The id and the nodes worth saving: good ones first. */
  snapshot(): SavedDht {
    const nodes = [...this.table.nodes()];
    const rank = (node: RoutingNode) =>
      ({ good: 0, questionable: 1, bad: 2 })[this.table.status(node)];
    nodes.sort((a, b) => rank(a) - rank(b));
    return {
      id: this.id,
      nodes: nodes
        .filter((node) => this.table.status(node) !== "bad")
        .slice(0, MAX_SAVED_NODES)
        .map(({ id, endpoint }) => ({ id, endpoint })),
    };
  }

  /** Stops the timers, fails the queries in flight and saves the table. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) timer.cancel();
    this.rpc.close();
    this.#ready.resolve();
    await this.#save();
  }

  #lookup(
    target: NodeId,
    query: KrpcQuery,
    seeds?: readonly LookupSeed[],
  ): Promise<LookupResult> {
    return iterativeLookup(seeds ?? this.#seeds(target), {
      target,
      clock: this.clock,
      exclude: this.id,
      query: (endpoint, id) => this.#query(endpoint, id, query),
    });
  }

  /** Where a lookup starts: the table's nearest nodes, or the bootstrap nodes while it is empty. */
  #seeds(target: NodeId): LookupSeed[] {
    const nearest = this.table.closest(target, K);
    if (nearest.length >= K) return nearest;
    return [...nearest, ...(this.#options.bootstrap ?? []).map((endpoint) => ({ endpoint }))];
  }

  /** One query; the answer (or the silence) tells the table about the node. */
  async #query(
    endpoint: Endpoint,
    id: NodeId | undefined,
    query: KrpcQuery,
  ): Promise<KrpcResponseBody> {
    let body: KrpcResponseBody;
    try {
      body = await this.rpc.query(endpoint, query);
    } catch (error) {
      if (id) this.table.failed(id);
      throw error;
    }
    if (!sameId(body.id, this.id)) this.#heard({ id: body.id, endpoint }, "reply");
    return body;
  }

  #heard(node: CompactNode, how: "reply" | "query"): void {
    const outcome = this.table.heard(node, how);
    if (outcome.kind === "cached" && outcome.ping) {
      this.#ping(outcome.ping.endpoint, outcome.ping.id);
    }
  }

  /**
   * Pings a node: one heard of outside the DHT (its answer adds it to the
   * table), or a questionable one whose bucket a newcomer waits for
   * (silence makes it bad). Bounded, so a flood of PORT messages or
   * newcomers cannot turn into a flood of pings.
   */
  #ping(endpoint: Endpoint, id: NodeId | undefined): void {
    const key = formatEndpoint(endpoint);
    if (this.#closed || this.#pinging.has(key) || this.#pinging.size >= MAX_PINGS_IN_FLIGHT) return;
    this.#pinging.add(key);
    this.#query(endpoint, id, { method: "ping", id: this.id })
      .catch(() => {})
      .finally(() => this.#pinging.delete(key));
  }

  #answer({ query, from }: IncomingQuery): QueryAnswer {
    if (sameId(query.id, this.id)) {
      return { error: KrpcErrorCode.protocol, message: "that is our own id" };
    }
    this.#heard({ id: query.id, endpoint: from }, "query");
    switch (query.method) {
      case "ping":
        return { id: this.id };
      case "find_node":
        return { id: this.id, nodes: this.table.closest(query.target, K) };
      case "get_peers": {
        const values = this.store.peers(query.infoHash);
        return {
          id: this.id,
          token: this.#tokens.issue(from),
          values: values.length > 0 ? values : undefined,
          nodes: this.table.closest(query.infoHash, K),
        };
      }
      case "announce_peer": {
        if (!this.#tokens.valid(query.token, from)) {
          return { error: KrpcErrorCode.protocol, message: "bad token" };
        }
        this.store.add(query.infoHash, {
          ip: from.ip,
          port: query.impliedPort ? from.port : query.port,
        });
        return { id: this.id };
      }
    }
  }

  #maintain(): void {
    this.store.expire();
    if (this.table.size === 0) {
      this.bootstrap().catch(() => {});
      return;
    }
    for (const target of this.table.staleBuckets()) this.findNode(target).catch(() => {});
  }

  async #save(): Promise<void> {
    if (!this.#options.save) return;
    try {
      await this.#options.save(this.snapshot());
    } catch (error) {
      this.#options.log?.(
        `DHT: cannot save the routing table: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
}
