// deno-lint-ignore-file no-console -- benchmarks talk to the person running them
/**
 * `deno task bench dht`: 10,000 DHT nodes in one process over a simulated
 * network (one-way latency 5 to 75 ms, 5% of datagrams lost), running the
 * real routing table, RPC and lookup code. Nodes join one batch at a time
 * through a node already in; torrents are announced; then get_peers
 * lookups from random nodes are measured, before and after 20% of the
 * nodes leave at once.
 *
 * @module
 */
import { DhtNode, type LookupResult } from "../../src/dht/mod.ts";
import type { Endpoint } from "../../src/transport/mod.ts";
import { seededRandom, SimClock, SimNetwork } from "../../tests/dht/simulation.ts";
import { printTarget } from "./measure.ts";

const LATENCY_MS = [5, 75] as const;
const LOSS = 0.05;
const TORRENTS = 50;
const LOOKUPS = 500;
const LEAVING = 0.2;
/** Lookups run at once: many, so simulated time is shared, as in a busy network. */
const LOOKUPS_AT_ONCE = 100;

/** A lookup's cost and whether it found the announced peer. */
interface Sample {
  readonly found: boolean;
  readonly queries: number;
  readonly replies: number;
  readonly rounds: number;
}

/**
 * Runs the simulation and prints its figures and the targets.
 *
 * @example
 * ```ts
 * await benchDht(10_000);
 * ```
 */
export async function benchDht(nodeCount: number): Promise<void> {
  const started = performance.now();
  const clock = new SimClock();
  const random = seededRandom(14);
  const network = new SimNetwork({ clock, random, latencyMs: LATENCY_MS, loss: LOSS });
  const endpoint = (i: number): Endpoint => ({
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 6881,
  });
  const randomId = () => new Uint8Array(20).map(() => Math.floor(random() * 256));
  const nodes: DhtNode[] = [];
  try {
    console.log(
      `\nDHT simulation: ${nodeCount} nodes, latency ${LATENCY_MS[0]}-${LATENCY_MS[1]} ms, ` +
        `${LOSS * 100}% loss`,
    );
    // Joining: batches as large as the DHT already is (each joiner
    // bootstraps through a random node already in), up to 500 at once.
    while (nodes.length < nodeCount) {
      const joined = nodes.length;
      const size = Math.min(500, Math.max(1, joined), nodeCount - joined);
      const batch: DhtNode[] = [];
      for (let i = joined; i < joined + size; i++) {
        const bootstrap = joined > 0 ? [endpoint(Math.floor(random() * joined))] : [];
        const node = new DhtNode(network.attach(endpoint(i)), { clock, bootstrap, id: randomId() });
        batch.push(node);
      }
      nodes.push(...batch);
      await clock.run(Promise.all(batch.map((node) => node.start())), 3_600_000);
    }
    const joinedAt = performance.now();
    const tables = nodes.map((node) => node.table.size);
    console.log(
      `  joined in ${((joinedAt - started) / 1000).toFixed(1)} s, ` +
        `${(network.sent / nodeCount).toFixed(0)} datagrams per node, tables of ` +
        `${(tables.reduce((a, b) => a + b, 0) / nodeCount).toFixed(1)} nodes on average`,
    );

    // Announcing: each torrent by one node, through the same get_peers lookup.
    const torrents = Array.from({ length: TORRENTS }, (_, i) => ({
      infoHash: randomId(),
      announcer: Math.floor(random() * nodeCount),
      port: 10_000 + i,
    }));
    const announced = await clock.run(
      Promise.all(
        torrents.map((t) => nodes[t.announcer].announce(t.infoHash, t.port)),
      ),
      600_000,
    );
    const announcedTo = announced!.map((result) => result.announcedTo);
    console.log(
      `  ${TORRENTS} torrents announced, to ${
        (announcedTo.reduce((a, b) => a + b, 0) / TORRENTS).toFixed(1)
      } nodes each on average`,
    );

    const measure = async (alive: readonly number[]): Promise<Sample[]> => {
      const samples: Sample[] = [];
      for (let done = 0; done < LOOKUPS; done += LOOKUPS_AT_ONCE) {
        const round = Array.from({ length: LOOKUPS_AT_ONCE }, () => {
          const torrent = torrents[Math.floor(random() * TORRENTS)];
          const from = alive[Math.floor(random() * alive.length)];
          return { torrent, lookup: nodes[from].getPeers(torrent.infoHash) };
        });
        const results = await clock.run(Promise.all(round.map((r) => r.lookup)), 600_000);
        results!.forEach((result: LookupResult, i) => {
          const { torrent } = round[i];
          const peer = endpoint(torrent.announcer);
          const found = result.peers.some((p) => p.ip === peer.ip && p.port === torrent.port);
          samples.push({ found, ...result });
        });
      }
      return samples;
    };

    const everyone = nodes.map((_, i) => i);
    const before = await measure(everyone);
    report("all nodes up", before, nodeCount);

    // 20% leave at once (announcers stay: a peer that left is rightly not found).
    const announcers = new Set(torrents.map((t) => t.announcer));
    const leaving = new Set<number>();
    while (leaving.size < Math.floor(nodeCount * LEAVING)) {
      const i = Math.floor(random() * nodeCount);
      if (!announcers.has(i)) leaving.add(i);
    }
    for (const i of leaving) {
      network.detach(endpoint(i));
      await nodes[i].close();
    }
    const after = await measure(everyone.filter((i) => !leaving.has(i)));
    report(`after ${LEAVING * 100}% of the nodes left (no re-announce)`, after, nodeCount);
    console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s in all (wall clock)`);
  } finally {
    for (const node of nodes) await node.close();
    clock.close();
  }
}

function report(title: string, samples: readonly Sample[], nodeCount: number): void {
  const average = (pick: (s: Sample) => number) =>
    samples.reduce((sum, s) => sum + pick(s), 0) / samples.length;
  const found = samples.filter((s) => s.found).length / samples.length;
  const rounds = average((s) => s.rounds);
  const queries = average((s) => s.queries);
  const messages = average((s) => s.queries + s.replies);
  const worst = Math.max(...samples.map((s) => s.queries + s.replies));
  const roundTarget = Math.log2(nodeCount) / 2 + 3;
  console.log(`\n  ${title}: ${samples.length} get_peers lookups`);
  console.log(
    `    queries ${queries.toFixed(1)}, datagrams (queries and answers) ${
      messages.toFixed(1)
    } (worst ${worst}), rounds ${rounds.toFixed(2)}`,
  );
  printTarget(
    "lookups find the announced peer (>= 99%)",
    found >= 0.99,
    `${(found * 100).toFixed(1)}%`,
  );
  printTarget(
    `rounds on average (<= log2(n)/2 + 3 = ${roundTarget.toFixed(2)})`,
    rounds <= roundTarget,
    rounds.toFixed(2),
  );
  printTarget(
    "messages per lookup, queries and answers (<= 60)",
    messages <= 60,
    messages.toFixed(1),
  );
}
