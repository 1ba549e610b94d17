import assert from "node:assert/strict";
import type { PeerStream } from "../../src/transport/mod.ts";
import type { UtpConnection } from "../../src/transport/utp/mod.ts";
import { ManualClock } from "../engine/manual_clock.ts";
import { LossyNetwork, run, seededRandom, turn } from "./utp_link.ts";

/** A connection from 10.0.0.1 to 10.0.0.2 over `network`, with the accepted side. */
async function connectedPair(network: LossyNetwork) {
  const a = network.socket("10.0.0.1", false);
  const b = network.socket("10.0.0.2");
  const accepted = b.socket[Symbol.asyncIterator]().next();
  const dialled = a.socket.dial(b.endpoint, 30_000);
  for (let i = 0; i < 2_000 && !(await settled(dialled)); i++) await run(network.clock, 50);
  const client = await dialled as UtpConnection;
  const server = (await accepted).value as UtpConnection;
  return { client, server, a, b };
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await turn();
  return done;
}

function randomBytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** Writes all of `bytes`, then closes unless told to stay open (closing ends both directions). */
async function send(stream: PeerStream, bytes: Uint8Array, close = true): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await stream.write(bytes.subarray(written, written + 100_000));
  }
  if (close) stream.close();
}

/** Reads until the stream ends, or until `expected` bytes are in. */
async function receiveAll(stream: PeerStream, expected = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(50_000);
  let total = 0;
  while (total < expected) {
    const count = await stream.read(buffer);
    if (count === null) break;
    parts.push(buffer.slice(0, count));
    total += count;
  }
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** Runs the clock until `promise` settles (or `limitMs` of simulated time passes). */
async function runUntil<T>(clock: ManualClock, promise: Promise<T>, limitMs: number): Promise<T> {
  for (let passed = 0; passed < limitMs && !(await settled(promise)); passed += 20) {
    await run(clock, 20);
  }
  return await promise;
}

Deno.test("every byte arrives once and in order over a link that drops, duplicates and reorders", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, {
    delayMs: 20,
    jitterMs: 15,
    loss: 0.05,
    duplicate: 0.05,
  }, 7);
  const { client, server } = await connectedPair(network);
  const up = randomBytes(600_000, 1);
  const down = randomBytes(400_000, 2);
  const transfers = Promise.all([
    send(client, up, false),
    send(server, down, false),
    receiveAll(server, up.length),
    receiveAll(client, down.length),
  ]);
  const [, , atServer, atClient] = await runUntil(clock, transfers, 600_000);
  assert.equal(atServer.length, up.length);
  assert.ok(atServer.every((byte, i) => byte === up[i]), "the client's bytes, in order");
  assert.equal(atClient.length, down.length);
  assert.ok(atClient.every((byte, i) => byte === down[i]), "the server's bytes, in order");
});

Deno.test("a burst that overflows the receiver's queue is recovered from: every byte arrives", async () => {
  const clock = new ManualClock();
  // Slow start fills a megabyte window at once; the receiving socket holds 300 datagrams, so
  // holes open beyond what selective acks cover, a timeout resends, and acks then jump past it.
  const network = new LossyNetwork(clock, {
    delayMs: 5,
    jitterMs: 0,
    loss: 0,
    duplicate: 0,
    queue: 300,
  });
  const { client, server } = await connectedPair(network);
  const bytes = randomBytes(4 << 20, 4);
  const [, received] = await runUntil(
    clock,
    Promise.all([send(client, bytes, false), receiveAll(server, bytes.length)]),
    300_000,
  );
  assert.equal(received.length, bytes.length);
  assert.ok(received.every((byte, i) => byte === bytes[i]));
  await run(clock, 1_000);
  assert.equal(client.bytesInFlight, 0, "everything acknowledged is out of the window");
  client.close();
});

Deno.test("a clean link carries a megabyte with no packet sent twice in vain", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 5, jitterMs: 0, loss: 0, duplicate: 0 });
  const { client, server } = await connectedPair(network);
  const bytes = randomBytes(1 << 20, 3);
  const [, received] = await runUntil(
    clock,
    Promise.all([send(client, bytes), receiveAll(server)]),
    120_000,
  );
  assert.deepEqual(received, bytes);
  const dataPackets = network.sent.get("10.0.0.2")!;
  // 1 MiB is 749 packets of 1,400 bytes; a SYN, a FIN and a few window probes at most besides.
  assert.ok(dataPackets < 760, `${dataPackets} packets for 749 packets of data`);
});

Deno.test("LEDBAT grows the window on an idle link and backs off when the delay rises", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 10, jitterMs: 0, loss: 0, duplicate: 0 });
  const { client, server } = await connectedPair(network);
  const draining = receiveAll(server).catch(() => new Uint8Array(0));
  let writing = true;
  const writer = (async () => {
    const chunk = new Uint8Array(65_536);
    while (writing) await client.write(chunk);
  })().catch(() => {});
  await run(clock, 3_000);
  const grown = client.congestionWindow;
  assert.ok(grown > 20_000, `the window grew to ${grown} bytes on a 10 ms link`);
  // Queues build up on the way to the server: 300 ms more one-way delay than the base.
  network.toward.set("10.0.0.2", { delayMs: 310, jitterMs: 0, loss: 0, duplicate: 0 });
  await run(clock, 5_000);
  const backedOff = client.congestionWindow;
  assert.ok(
    backedOff < grown / 2,
    `the window fell from ${grown} to ${backedOff} bytes with 300 ms of queueing delay`,
  );
  writing = false;
  client.reset();
  await runUntil(clock, draining, 1_000);
  await writer;
});

Deno.test("a reset ends the other side's reads with an error, and a closed peer's reads end", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock);
  const { client, server } = await connectedPair(network);
  const reading = server.read(new Uint8Array(10)).then(() => "read", (error) => String(error));
  client.reset();
  assert.match(await runUntil(clock, reading, 5_000), /reset/);
  const second = await connectedPair(new LossyNetwork(clock));
  const ended = second.server.read(new Uint8Array(10));
  second.client.close();
  assert.equal(await runUntil(clock, ended, 5_000), null);
});

Deno.test("a dial to nobody times out; a refused one says so at once", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock);
  const { socket } = network.socket("10.0.0.1", false);
  const silent = socket.dial({ ip: "10.0.0.9", port: 6881 }, 3_000).then(
    () => "connected",
    (error) => String(error),
  );
  assert.match(await runUntil(clock, silent, 10_000), /timed out/);
  const sent = network.sent.get("10.0.0.9")!;
  assert.ok(sent >= 2 && sent <= 3, `SYN sent ${sent} times in 3 s (at 0, 1 and 3 s)`);
  network.socket("10.0.0.3", false); // a host that refuses: it accepts nothing
  const refused = socket.dial({ ip: "10.0.0.3", port: 6881 }, 3_000).then(
    () => "connected",
    (error) => String(error),
  );
  assert.match(await runUntil(clock, refused, 200), /refused/);
});
