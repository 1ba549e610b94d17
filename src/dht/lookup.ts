import type { Clock, Timer } from "../session/mod.ts";
import { type Endpoint, formatEndpoint } from "../transport/mod.ts";
import type { CompactNode } from "./krpc.ts";
import { compareDistance, idHex, type NodeId } from "./node_id.ts";
import { K } from "./routing_table.ts";

/** Queries a lookup keeps in flight at once (Kademlia's alpha; BEP 5 leaves it open, 3 is usual). */
export const ALPHA = 3;
/**
 * After this long without an answer a query stops holding its slot: the
 * lookup asks the next node meanwhile and still takes a late answer (as
 * libtorrent's short timeout does), so one slow node does not stall it.
 */
export const SLOW_QUERY_MS = 1_000;
/** Candidates a lookup keeps, nearest first; the rest are forgotten. */
export const MAX_CANDIDATES = 128;
/** Peers a lookup collects, at most. */
export const MAX_LOOKUP_PEERS = 1_000;

/** Where a lookup starts: nodes of the table, or bootstrap nodes whose id is not known yet. */
export interface LookupSeed {
  readonly id?: NodeId;
  readonly endpoint: Endpoint;
}

/** What one queried node answered. */
export interface LookupReply {
  readonly id: NodeId;
  readonly nodes?: readonly CompactNode[];
  readonly values?: readonly Endpoint[];
  readonly token?: Uint8Array;
}

/** A node that answered, with the token it gave (get_peers). */
export interface Responder {
  readonly id: NodeId;
  readonly endpoint: Endpoint;
  readonly token?: Uint8Array;
}

/** What a lookup found, and what it cost. */
export interface LookupResult {
  /** Up to k nodes nearest the target that answered, nearest first. */
  readonly closest: readonly Responder[];
  /** Peers the nodes gave (get_peers). */
  readonly peers: readonly Endpoint[];
  /** Queries sent. */
  readonly queries: number;
  /** Queries answered. */
  readonly replies: number;
  /**
   * The longest chain of queries each of which asked a node the previous
   * answer named: the lookup's depth in round trips.
   */
  readonly rounds: number;
}

/** How a lookup runs: its target, its width, and how it asks one node. */
export interface LookupOptions {
  readonly target: NodeId;
  readonly clock: Clock;
  /**
   * Asks one node (find_node or get_peers), by its id when known; rejects
   * when it does not answer.
   */
  readonly query: (endpoint: Endpoint, id: NodeId | undefined) => Promise<LookupReply>;
  /** Ids never to query (our own). */
  readonly exclude?: NodeId;
  readonly alpha?: number;
  readonly k?: number;
  readonly slowMs?: number;
}

type State = "new" | "waiting" | "slow" | "replied" | "failed";

interface Candidate {
  id: NodeId | undefined;
  readonly endpoint: Endpoint;
  state: State;
  /** Queries in the chain that led to it: 1 for a seed. */
  readonly depth: number;
  token?: Uint8Array;
}

/**
 * An iterative Kademlia lookup: ask the nearest known nodes about the
 * target, `alpha` at a time, learn nearer nodes from their answers, and
 * stop once the `k` nearest nodes known have all answered (or failed). The
 * same code finds nodes (find_node), peers (get_peers) and the nodes to
 * announce to, over real sockets or the simulated network.
 *
 * @example
 * ```ts
 * const result = await iterativeLookup(table.closest(target, 8), {
 *   target, clock, query: (to) => rpc.query(to, { method: "find_node", id, target }),
 * });
 * ```
 */
export function iterativeLookup(
  seeds: readonly LookupSeed[],
  options: LookupOptions,
): Promise<LookupResult> {
  const alpha = options.alpha ?? ALPHA;
  const k = options.k ?? K;
  const target = options.target;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const peers = new Map<string, Endpoint>();
  const timers = new Set<Timer>();
  let queries = 0;
  let replies = 0;
  let rounds = 0;
  let finished = false;
  const { promise, resolve } = Promise.withResolvers<LookupResult>();

  // Seeds without an id sort first: they are the only way in.
  const order = (a: Candidate, b: Candidate) =>
    a.id === undefined
      ? (b.id === undefined ? 0 : -1)
      : b.id === undefined
      ? 1
      : compareDistance(a.id, b.id, target);

  const learn = (node: LookupSeed, depth: number) => {
    if (options.exclude && node.id && idHex(node.id) === idHex(options.exclude)) return;
    const address = formatEndpoint(node.endpoint);
    const key = node.id ? idHex(node.id) : address;
    if (seen.has(key) || seen.has(address)) return;
    seen.add(key);
    seen.add(address);
    candidates.push({ id: node.id, endpoint: node.endpoint, state: "new", depth });
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    for (const timer of timers) timer.cancel();
    const closest = candidates
      .filter((candidate) => candidate.state === "replied" && candidate.id)
      .slice(0, k)
      .map(({ id, endpoint, token }) => ({ id: id!, endpoint, token }));
    resolve({ closest, peers: [...peers.values()], queries, replies, rounds });
  };

  const ask = (candidate: Candidate) => {
    candidate.state = "waiting";
    queries++;
    const slow = options.clock.after(options.slowMs ?? SLOW_QUERY_MS, () => {
      timers.delete(slow);
      if (candidate.state !== "waiting") return;
      candidate.state = "slow";
      pump();
    });
    timers.add(slow);
    options.query(candidate.endpoint, candidate.id).then((reply) => {
      slow.cancel();
      timers.delete(slow);
      if (finished) return;
      replies++;
      rounds = Math.max(rounds, candidate.depth);
      candidate.state = "replied";
      candidate.token = reply.token;
      if (candidate.id === undefined) {
        candidate.id = reply.id;
        seen.add(idHex(reply.id));
      }
      for (const node of reply.nodes ?? []) learn(node, candidate.depth + 1);
      for (const peer of reply.values ?? []) {
        if (peers.size < MAX_LOOKUP_PEERS) peers.set(formatEndpoint(peer), peer);
      }
      pump();
    }, () => {
      slow.cancel();
      timers.delete(slow);
      if (finished) return;
      candidate.state = "failed";
      pump();
    });
  };

  const pump = () => {
    if (finished) return;
    candidates.sort(order);
    if (candidates.length > MAX_CANDIDATES) candidates.length = MAX_CANDIDATES;
    let active = 0;
    for (const candidate of candidates) if (candidate.state === "waiting") active++;
    // The window: the k nearest that may still answer in time (failed and
    // slow nodes step aside). Done when all of it answered.
    let inWindow = 0;
    let open = false;
    for (const candidate of candidates) {
      if (inWindow >= k) break;
      if (candidate.state === "failed" || candidate.state === "slow") continue;
      inWindow++;
      if (candidate.state === "replied") continue;
      open = true;
      if (candidate.state === "new" && active < alpha) {
        active++;
        ask(candidate);
      }
    }
    // Slow queries may still answer: with nothing better to wait for, they are waited for.
    if (!open && inWindow < k) open = candidates.some((candidate) => candidate.state === "slow");
    if (!open) finish();
  };

  for (const seed of seeds) learn(seed, 1);
  pump();
  return promise;
}
