import type { Clock } from "../session/mod.ts";
import { isLoopback } from "../session/mod.ts";
import { type Endpoint, formatEndpoint } from "../transport/mod.ts";
import type { CompactNode } from "./krpc.ts";
import {
  commonPrefixBits,
  compareDistance,
  ID_BITS,
  idHex,
  idInRange,
  type NodeId,
  sameId,
} from "./node_id.ts";

/** Nodes per bucket (Kademlia's k; BEP 5 uses 8). */
export const K = 8;
/** Nodes kept per bucket in its replacement cache, to step in when one of its nodes goes bad. */
export const REPLACEMENTS_PER_BUCKET = 8;
/** A node is good this long after it last answered us (BEP 5: 15 minutes). */
export const GOOD_FOR_MS = 15 * 60_000;
/** Queries in a row a node failed to answer before it counts as bad. */
export const BAD_AFTER_FAILURES = 2;
/** A bucket nobody touched for this long is refreshed with a lookup in its range (BEP 5). */
export const REFRESH_AFTER_MS = 15 * 60_000;

/** Good (answered lately), questionable (quiet for a while) or bad (stopped answering): BEP 5. */
export type NodeStatus = "good" | "questionable" | "bad";

/** One node in the table, with what we know of its liveness. */
export interface RoutingNode extends CompactNode {
  /** When it last answered a query of ours (-Infinity: never). */
  lastReply: number;
  /** When it last sent us a query (-Infinity: never). */
  lastQuery: number;
  /** Queries in a row it did not answer. */
  failures: number;
}

/** What became of a node offered to the table. */
export type InsertOutcome =
  /** It is in a bucket now (new, or its record updated). */
  | { readonly kind: "added" | "updated" }
  /**
   * Its bucket is full: it waits in the replacement cache. `ping` is the
   * bucket's stalest questionable node: if it fails to answer, it goes bad
   * and the newcomer takes its place.
   */
  | { readonly kind: "cached"; readonly ping?: RoutingNode }
  /** Refused: our own id, another id at a known address, or a known id at a new address. */
  | { readonly kind: "refused"; readonly why: string };

interface Bucket {
  nodes: RoutingNode[];
  /** Most recently heard first. */
  replacements: RoutingNode[];
  /** When a node in it was last added or answered: a bucket quiet too long is refreshed. */
  lastChanged: number;
}

/** How a table behaves; tests shrink or relax it. */
export interface RoutingTableOptions {
  readonly clock: Clock;
  /** Nodes per bucket (default {@link K}). */
  readonly k?: number;
  /**
   * One node per IP address (default true), as libtorrent and anacrolix
   * restrict it: a host claiming many ids cannot fill the table. Loopback
   * addresses are told apart by port instead, so a lab of many nodes on one
   * machine works.
   */
  readonly oneNodePerIp?: boolean;
}

/**
 * A Kademlia routing table of 160-bit ids (BEP 5): buckets of `k` nodes by
 * how many leading bits they share with our id. The last bucket holds every
 * node at least as close as its index and is the only one that splits, so
 * the table knows many nodes near us and a few far away. A full bucket
 * keeps its good nodes and puts newcomers in a replacement cache; bad nodes
 * give way to them.
 *
 * @example
 * ```ts
 * const table = new RoutingTable(ourId, { clock: systemClock });
 * table.heard({ id, endpoint }, "reply");
 * const nearest = table.closest(infoHash, 8);
 * ```
 */
export class RoutingTable {
  readonly #buckets: Bucket[];
  readonly #k: number;
  readonly #clock: Clock;
  readonly #oneNodePerIp: boolean;
  /** Who holds each address (by {@link addressKey}), so a second id there is refused. */
  readonly #byAddress = new Map<string, RoutingNode>();
  /** Every node in a bucket, by id hex. */
  readonly #byId = new Map<string, RoutingNode>();

  constructor(readonly id: NodeId, options: RoutingTableOptions) {
    this.#clock = options.clock;
    this.#k = options.k ?? K;
    this.#oneNodePerIp = options.oneNodePerIp ?? true;
    this.#buckets = [{ nodes: [], replacements: [], lastChanged: this.#clock.now() }];
  }

  /** Nodes in the buckets (not counting replacement caches). */
  get size(): number {
    return this.#byId.size;
  }

  /** How many buckets the table has split into. */
  get bucketCount(): number {
    return this.#buckets.length;
  }

  /** The node with this id, if in a bucket. */
  get(id: NodeId): RoutingNode | undefined {
    return this.#byId.get(idHex(id));
  }

  /** Every node in a bucket. */
  nodes(): IterableIterator<RoutingNode> {
    return this.#byId.values();
  }

  /** Good, questionable or bad, by BEP 5's rules. */
  status(node: RoutingNode): NodeStatus {
    if (node.failures >= BAD_AFTER_FAILURES) return "bad";
    const now = this.#clock.now();
    if (now - node.lastReply < GOOD_FOR_MS) return "good";
    // A node that ever answered and queries us lately is good too.
    if (node.lastReply > -Infinity && now - node.lastQuery < GOOD_FOR_MS) return "good";
    return "questionable";
  }

  /**
   * A node was heard from: it answered one of our queries (`reply`) or sent
   * us one (`query`). A node that only sent queries enters as questionable;
   * answering makes it good.
   */
  heard(node: CompactNode, how: "reply" | "query"): InsertOutcome {
    if (sameId(node.id, this.id)) return { kind: "refused", why: "our own id" };
    const now = this.#clock.now();
    const key = idHex(node.id);
    const known = this.#byId.get(key);
    if (known) {
      if (!sameEndpoint(known.endpoint, node.endpoint)) {
        // A known id at a new address is a spoof or a move; the record we
        // checked stays until it goes bad.
        return { kind: "refused", why: "that id is known at another address" };
      }
      this.#touch(known, how, now);
      if (how === "reply") this.#bucketOf(node.id).lastChanged = now;
      return { kind: "updated" };
    }
    const holder = this.#byAddress.get(this.#addressKey(node.endpoint));
    if (holder) {
      if (this.status(holder) !== "bad") {
        return { kind: "refused", why: "another id is known at that address" };
      }
      this.#remove(holder);
    }
    const entry: RoutingNode = {
      id: node.id,
      endpoint: node.endpoint,
      lastReply: -Infinity,
      lastQuery: -Infinity,
      failures: 0,
    };
    this.#touch(entry, how, now);
    for (;;) {
      const index = this.#indexOf(node.id);
      const bucket = this.#buckets[index];
      if (bucket.nodes.length < this.#k) {
        this.#place(bucket, entry, now);
        return { kind: "added" };
      }
      if (index === this.#buckets.length - 1 && this.#buckets.length < ID_BITS) {
        this.#split();
        continue;
      }
      const bad = bucket.nodes.find((candidate) => this.status(candidate) === "bad");
      if (bad) {
        this.#remove(bad);
        this.#place(bucket, entry, now);
        return { kind: "added" };
      }
      this.#cache(bucket, entry);
      const questionable = bucket.nodes
        .filter((candidate) => this.status(candidate) === "questionable")
        .sort((a, b) => Math.max(a.lastReply, a.lastQuery) - Math.max(b.lastReply, b.lastQuery));
      return { kind: "cached", ping: questionable[0] };
    }
  }

  /**
   * A query to this node went unanswered. A node that goes bad gives its
   * place to the freshest node in its bucket's replacement cache, if any.
   */
  failed(id: NodeId): void {
    const node = this.#byId.get(idHex(id));
    if (!node) return;
    node.failures++;
    if (this.status(node) !== "bad") return;
    const bucket = this.#bucketOf(id);
    const replacement = bucket.replacements.shift();
    if (!replacement) return;
    this.#remove(node);
    const holder = this.#byAddress.get(this.#addressKey(replacement.endpoint));
    if (holder) return;
    this.#place(bucket, replacement, this.#clock.now());
  }

  /** Takes a node out (it left, or proved hostile). */
  remove(id: NodeId): void {
    const node = this.#byId.get(idHex(id));
    if (node) this.#remove(node);
  }

  /**
   * The `count` nodes nearest `target` by XOR distance, bad nodes left out,
   * nearest first.
   */
  closest(target: NodeId, count: number): RoutingNode[] {
    // With s the bits the target shares with us: nodes of bucket s agree
    // with it at bit s, so they are nearest; every bucket past s disagrees
    // with it there, all at a like distance, so they are taken whole; then
    // the buckets before s, each further than the one after it.
    const start = this.#indexOf(target);
    const found: RoutingNode[] = [];
    const take = (bucket: Bucket) => {
      for (const node of bucket.nodes) if (this.status(node) !== "bad") found.push(node);
    };
    for (let i = start; i < this.#buckets.length; i++) take(this.#buckets[i]);
    for (let i = start - 1; i >= 0 && found.length < count; i--) take(this.#buckets[i]);
    found.sort((a, b) => compareDistance(a.id, b.id, target));
    return found.slice(0, count);
  }

  /**
   * Targets to refresh: for each bucket nobody touched for
   * {@link REFRESH_AFTER_MS}, a random id in its range. The bucket counts as
   * touched now, so a refresh that finds nothing is not retried at once.
   */
  staleBuckets(): NodeId[] {
    const now = this.#clock.now();
    const targets: NodeId[] = [];
    this.#buckets.forEach((bucket, index) => {
      if (now - bucket.lastChanged < REFRESH_AFTER_MS) return;
      bucket.lastChanged = now;
      targets.push(idInRange(this.id, index, index < this.#buckets.length - 1));
    });
    return targets;
  }

  /** What each bucket holds, for tests and the `dht` command's status. */
  describe(): { nodes: number; replacements: number }[] {
    return this.#buckets.map((bucket) => ({
      nodes: bucket.nodes.length,
      replacements: bucket.replacements.length,
    }));
  }

  #touch(node: RoutingNode, how: "reply" | "query", now: number): void {
    if (how === "reply") {
      node.lastReply = now;
      node.failures = 0;
    } else {
      node.lastQuery = now;
    }
  }

  #place(bucket: Bucket, node: RoutingNode, now: number): void {
    bucket.nodes.push(node);
    bucket.replacements = bucket.replacements.filter((other) => !sameId(other.id, node.id));
    bucket.lastChanged = now;
    this.#byId.set(idHex(node.id), node);
    this.#byAddress.set(this.#addressKey(node.endpoint), node);
  }

  #remove(node: RoutingNode): void {
    const bucket = this.#bucketOf(node.id);
    bucket.nodes = bucket.nodes.filter((other) => other !== node);
    this.#byId.delete(idHex(node.id));
    const key = this.#addressKey(node.endpoint);
    if (this.#byAddress.get(key) === node) this.#byAddress.delete(key);
  }

  #cache(bucket: Bucket, node: RoutingNode): void {
    const others = bucket.replacements.filter((other) =>
      !sameId(other.id, node.id) && !sameEndpoint(other.endpoint, node.endpoint)
    );
    bucket.replacements = [node, ...others].slice(0, REPLACEMENTS_PER_BUCKET);
  }

  /** Splits the last bucket: nodes sharing more bits with us than its index move to a new one. */
  #split(): void {
    const index = this.#buckets.length - 1;
    const old = this.#buckets[index];
    const near: Bucket = { nodes: [], replacements: [], lastChanged: old.lastChanged };
    const stays = (node: RoutingNode) => commonPrefixBits(node.id, this.id) === index;
    near.nodes = old.nodes.filter((node) => !stays(node));
    near.replacements = old.replacements.filter((node) => !stays(node));
    old.nodes = old.nodes.filter(stays);
    old.replacements = old.replacements.filter(stays);
    this.#buckets.push(near);
  }

  #indexOf(id: NodeId): number {
    return Math.min(commonPrefixBits(id, this.id), this.#buckets.length - 1);
  }

  #bucketOf(id: NodeId): Bucket {
    return this.#buckets[this.#indexOf(id)];
  }

  #addressKey(endpoint: Endpoint): string {
    return this.#oneNodePerIp ? sourceKey(endpoint) : formatEndpoint(endpoint);
  }
}

/** Whether two endpoints are the same address and port. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/**
 * Whom a rate limit or a per-address rule counts: the IP address, except on
 * loopback, where every port is its own node (a lab of many nodes on one machine).
 *
 * @example
 * ```ts
 * sourceKey({ ip: "10.0.0.1", port: 6881 }); // "10.0.0.1"
 * ```
 */
export function sourceKey(endpoint: Endpoint): string {
  return isLoopback(endpoint.ip) ? formatEndpoint(endpoint) : endpoint.ip;
}
