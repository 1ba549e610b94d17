/**
 * DHT nodes over the simulated network: what they answer, what they store,
 * and what hostile senders get (bad tokens, floods, many ids, garbage).
 */
import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import {
  decodeKrpc,
  decodeSavedDht,
  DhtNode,
  encodeKrpc,
  encodeSavedDht,
  KrpcErrorCode,
  type KrpcMessage,
  MAX_PEERS_PER_TORRENT,
  SOURCE_RATE,
} from "../../src/dht/mod.ts";
import type { Endpoint } from "../../src/transport/mod.ts";
import { seededRandom, SimClock, SimNetwork } from "./simulation.ts";

const at = (i: number): Endpoint => ({ ip: `10.0.${i >> 8}.${i & 255}`, port: 6881 });

/** A network of `count` joined nodes, and a raw sender that sees every answer it gets. */
async function world(count: number) {
  const clock = new SimClock();
  const random = seededRandom(5);
  const network = new SimNetwork({ clock, random, latencyMs: [5, 20] });
  const nodes: DhtNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = new DhtNode(network.attach(at(i)), { clock, bootstrap: i > 0 ? [at(0)] : [] });
    nodes.push(node);
    await clock.run(node.start(), 60_000);
  }
  const raw = (endpoint: Endpoint) => {
    const heard: KrpcMessage[] = [];
    const transport = network.attach(endpoint);
    transport.receive((bytes) => heard.push(decodeKrpc(bytes)));
    return {
      heard,
      send: (message: KrpcMessage | Uint8Array, to: Endpoint) =>
        transport.send(message instanceof Uint8Array ? message : encodeKrpc(message), to),
    };
  };
  const close = async () => {
    for (const node of nodes) await node.close();
    clock.close();
  };
  return { clock, network, nodes, raw, close };
}

const t = (n: number) => new Uint8Array([n >> 8, n & 255]);
const someId = (fill: number) => new Uint8Array(20).fill(fill);

Deno.test("dht node: announce, then get_peers from elsewhere finds the peer; tokens are checked", async () => {
  const { clock, nodes, raw, close } = await world(30);
  try {
    const infoHash = someId(0xab);
    const announced = await clock.run(nodes[3].announce(infoHash, 5555), 60_000);
    assert.ok(announced!.announcedTo >= 5, `announced to ${announced!.announcedTo}`);
    const found = await clock.run(nodes[20].getPeers(infoHash), 60_000);
    assert.deepEqual(found!.peers, [{ ip: at(3).ip, port: 5555 }]);

    // A stranger with a made-up token is refused, and stores nothing.
    const stranger = raw({ ip: "10.9.9.9", port: 1 });
    const target = at(7);
    const before = nodes[7].store.size;
    stranger.send({
      kind: "query",
      t: t(1),
      query: {
        method: "announce_peer",
        id: someId(1),
        infoHash,
        port: 1,
        impliedPort: false,
        token: new Uint8Array(8),
      },
    }, target);
    // A token issued to another address is no good either.
    stranger.send({
      kind: "query",
      t: t(2),
      query: { method: "get_peers", id: someId(1), infoHash },
    }, target);
    await clock.run(undefined, 1000);
    const answer = stranger.heard.find((m) => m.kind === "response");
    assert.ok(answer?.kind === "response" && answer.body.token);
    const thief = raw({ ip: "10.9.9.8", port: 1 });
    thief.send({
      kind: "query",
      t: t(3),
      query: {
        method: "announce_peer",
        id: someId(2),
        infoHash,
        port: 1,
        impliedPort: false,
        token: answer.body.token,
      },
    }, target);
    // With its own token the stranger may announce itself (implied port: where it sends from).
    stranger.send({
      kind: "query",
      t: t(4),
      query: {
        method: "announce_peer",
        id: someId(1),
        infoHash,
        port: 0,
        impliedPort: true,
        token: answer.body.token,
      },
    }, target);
    await clock.run(undefined, 1000);
    // Answers may arrive out of order: each is found by its transaction id.
    const answerTo = (heard: KrpcMessage[], n: number) => heard.find((m) => m.t[1] === n);
    for (const refused of [answerTo(stranger.heard, 1), answerTo(thief.heard, 3)]) {
      assert.equal(refused?.kind === "error" && refused.code, KrpcErrorCode.protocol);
    }
    assert.equal(answerTo(stranger.heard, 4)?.kind, "response");
    assert.equal(nodes[7].store.size, before + 1);
    assert.ok(nodes[7].store.peers(infoHash).some((p) => p.ip === "10.9.9.9" && p.port === 1));
  } finally {
    await close();
  }
});

Deno.test("dht node: a query flood from one address is cut at its rate, and others are still answered", async () => {
  const { clock, nodes, raw, close } = await world(3);
  try {
    const flooder = raw({ ip: "10.8.0.1", port: 1 });
    for (let i = 0; i < 1000; i++) {
      flooder.send({ kind: "query", t: t(i), query: { method: "ping", id: someId(9) } }, at(0));
    }
    const honest = raw({ ip: "10.8.0.2", port: 1 });
    honest.send({ kind: "query", t: t(1), query: { method: "ping", id: someId(8) } }, at(0));
    await clock.run(undefined, 500);
    assert.equal(flooder.heard.length, SOURCE_RATE.burst);
    assert.equal(honest.heard.length, 1);
    assert.ok(nodes[0].rpc.counters.dropped >= 1000 - SOURCE_RATE.burst);
    // The table took the flooder once, and only once.
    assert.ok([...nodes[0].table.nodes()].filter((n) => n.endpoint.ip === "10.8.0.1").length <= 1);
  } finally {
    await close();
  }
});

Deno.test("dht node: one address claiming a hundred ids gets one table entry", async () => {
  const { clock, nodes, raw, close } = await world(2);
  try {
    for (let i = 0; i < 100; i++) {
      const sybil = raw({ ip: "10.7.0.1", port: 1000 + i });
      sybil.send({ kind: "query", t: t(i), query: { method: "ping", id: someId(i + 1) } }, at(0));
    }
    await clock.run(undefined, 500);
    assert.equal([...nodes[0].table.nodes()].filter((n) => n.endpoint.ip === "10.7.0.1").length, 1);
  } finally {
    await close();
  }
});

Deno.test("dht node: garbage gets a KRPC error only when it was a query; a fake answer is dropped", async () => {
  const { clock, nodes, raw, close } = await world(2);
  try {
    const sender = raw({ ip: "10.6.0.1", port: 1 });
    sender.send(encode({ t: "zz", y: "q", q: "find_node", a: { id: someId(1) } }), at(0));
    sender.send(encode({ t: "zy", y: "q", q: "vote", a: { id: someId(1) } }), at(0));
    sender.send(new TextEncoder().encode("d1:t2:aa1:y1:r1:rd2:id3:abcee"), at(0));
    sender.send(new TextEncoder().encode("dxxxx"), at(0));
    // An answer to a query nobody sent, from the wrong address.
    sender.send({ kind: "response", t: t(0), body: { id: someId(1) } }, at(0));
    await clock.run(undefined, 500);
    assert.deepEqual(
      sender.heard.map((m) => m.kind === "error" && m.code),
      [KrpcErrorCode.protocol, KrpcErrorCode.methodUnknown],
    );
    assert.ok(nodes[0].rpc.counters.dropped >= 5);
    assert.equal(nodes[0].table.get(someId(1)), undefined, "no table entry from garbage");
  } finally {
    await close();
  }
});

Deno.test("dht node: the peer store stays bounded under announces from many addresses", async () => {
  const { clock, nodes, raw, close } = await world(1);
  try {
    const infoHash = someId(0xcd);
    for (let i = 0; i < MAX_PEERS_PER_TORRENT + 100; i++) {
      const peer = raw({ ip: `10.5.${i >> 8}.${i & 255}`, port: 1 });
      peer.send(
        { kind: "query", t: t(i), query: { method: "get_peers", id: someId(1), infoHash } },
        at(0),
      );
      await clock.run(undefined, 50);
      const answer = peer.heard[0];
      assert.ok(answer?.kind === "response" && answer.body.token);
      peer.send({
        kind: "query",
        t: t(i + 1),
        query: {
          method: "announce_peer",
          id: someId(1),
          infoHash,
          port: 7,
          impliedPort: false,
          token: answer.body.token,
        },
      }, at(0));
    }
    await clock.run(undefined, 100);
    assert.equal(nodes[0].store.size, MAX_PEERS_PER_TORRENT);
    assert.equal(nodes[0].store.peers(infoHash).length, 50, "one answer fits one datagram");
  } finally {
    await close();
  }
});

Deno.test("dht node: restarted from its saved table, it needs no bootstrap node", async () => {
  const { clock, network, nodes, close } = await world(12);
  try {
    const saved = decodeSavedDht(encodeSavedDht(nodes[5].snapshot()));
    assert.ok(saved.nodes.length >= 5);
    await nodes[5].close();
    network.detach(at(5));
    const again = new DhtNode(network.attach(at(5)), { clock, saved });
    nodes[5] = again;
    assert.deepEqual(again.id, saved.id, "the same id");
    await clock.run(again.start(), 60_000);
    assert.ok(again.table.size >= 5, `${again.table.size} nodes after restart`);
  } finally {
    await close();
  }
});
