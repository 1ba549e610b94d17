import assert from "node:assert/strict";
import {
  decodePacket,
  emptyHeader,
  encodeHeader,
  HEADER_LENGTH,
  MAX_CONNECTIONS_PER_ADDRESS,
  type OutgoingHeader,
  ST_DATA,
  ST_RESET,
  ST_STATE,
  ST_SYN,
  type UtpConnection,
} from "../../src/transport/utp/mod.ts";
import { ManualClock } from "../engine/manual_clock.ts";
import { LossyNetwork, run, turn } from "./utp_link.ts";

const attacker = { ip: "10.6.6.6", port: 4000 };

function packet(header: Omit<OutgoingHeader, "timestamp" | "timestampDifference">, payload = 0) {
  const bytes = new Uint8Array(HEADER_LENGTH + payload);
  encodeHeader(bytes, { timestamp: 0, timestampDifference: 0, ...header });
  return bytes;
}

/** What the attacker's address was sent back, decoded. */
function listen(network: LossyNetwork) {
  const received: { type: number; connectionId: number; seq: number }[] = [];
  const socket = network.socket(attacker.ip, false).socket;
  socket.receive = (bytes) => {
    const header = emptyHeader();
    if (decodePacket(bytes, header)) {
      received.push({ type: header.type, connectionId: header.connectionId, seq: header.seq });
    }
  };
  return received;
}

Deno.test("a SYN flood from one address gets it a bounded share; others still connect", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 1, jitterMs: 0, loss: 0, duplicate: 0 });
  const { socket: server, endpoint } = network.socket("10.0.0.2");
  listen(network);
  for (let id = 0; id < 500; id++) {
    // From many ports of one address: still one source.
    network.send(
      packet({ type: ST_SYN, connectionId: id * 2, windowSize: 65_536, seq: 1, ack: 0 }),
      { ip: attacker.ip, port: 1024 + id },
      endpoint,
    );
  }
  await run(clock, 10);
  assert.equal(server.size, MAX_CONNECTIONS_PER_ADDRESS, "the flood's connections are capped");
  const { socket: honest } = network.socket("10.0.0.1", false);
  const dialled = honest.dial(endpoint, 5_000);
  await run(clock, 20);
  assert.equal((await dialled as UtpConnection).closed, false, "an honest peer still gets in");
});

Deno.test("packets for unknown connections get a reset, at a bounded rate, and make no state", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 1, jitterMs: 0, loss: 0, duplicate: 0 });
  const { socket: server, endpoint } = network.socket("10.0.0.2");
  const answers = listen(network);
  for (let id = 0; id < 1_000; id++) {
    network.send(
      packet({ type: ST_DATA, connectionId: id, windowSize: 1, seq: id, ack: 0 }, 1_000),
      attacker,
      endpoint,
    );
    network.send(
      packet({ type: ST_RESET, connectionId: id, windowSize: 0, seq: id, ack: 0 }),
      attacker,
      endpoint,
    );
  }
  await run(clock, 10);
  assert.equal(server.size, 0);
  assert.ok(answers.length > 0 && answers.length <= 50, `${answers.length} resets in one second`);
  assert.ok(answers.every((answer) => answer.type === ST_RESET), "only resets, never bigger");
  // Garbage of every length is dropped without an answer.
  const before = answers.length;
  clock.advance(1_000);
  for (let length = 0; length < 64; length++) {
    server.receive(new Uint8Array(length).fill(0xff), attacker);
  }
  await turn();
  assert.equal(answers.length, before);
});

Deno.test("forged acks for data never sent are ignored and the transfer goes on", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 5, jitterMs: 0, loss: 0, duplicate: 0 });
  const { socket: serverSocket, endpoint } = network.socket("10.0.0.2");
  const { socket: clientSocket, endpoint: clientEndpoint } = network.socket("10.0.0.1", false);
  const accepted = serverSocket[Symbol.asyncIterator]().next();
  const dialled = clientSocket.dial(endpoint, 5_000);
  await run(clock, 50);
  const client = await dialled as UtpConnection;
  const server = (await accepted).value as UtpConnection;
  const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
  const writing = (async () => {
    let written = 0;
    while (written < bytes.length) written += await client.write(bytes.subarray(written));
  })();
  const received: number[] = [];
  const reading = (async () => {
    const buffer = new Uint8Array(65_536);
    while (received.length < bytes.length) {
      const count = await server.read(buffer);
      if (count === null) break;
      received.push(...buffer.subarray(0, count));
    }
  })();
  for (let round = 0; round < 40; round++) {
    // Spoofed from the server's address: acks far ahead of anything sent.
    for (const ack of [client.receiveId, 40_000, 65_000]) {
      clientSocket.receive(
        packet({
          type: ST_STATE,
          connectionId: client.receiveId,
          windowSize: 1 << 20,
          seq: 0,
          ack: (ack + round) & 0xffff,
        }),
        endpoint,
      );
    }
    await run(clock, 25);
  }
  for (let i = 0; i < 400 && received.length < bytes.length; i++) await run(clock, 25);
  await writing;
  await reading;
  assert.equal(received.length, bytes.length);
  assert.ok(received.every((byte, i) => byte === bytes[i]));
  assert.ok(clientEndpoint);
});

Deno.test("a receiver whose window stays shut gets probes at most once a timeout", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 5, jitterMs: 0, loss: 0, duplicate: 0 });
  const { socket: serverSocket, endpoint } = network.socket("10.0.0.2");
  const { socket: clientSocket } = network.socket("10.0.0.1", false);
  const accepted = serverSocket[Symbol.asyncIterator]().next();
  const dialled = clientSocket.dial(endpoint, 5_000);
  await run(clock, 50);
  const client = await dialled as UtpConnection;
  await accepted;
  // The server never reads: its 1 MiB receive buffer fills, then its window is 0.
  const writing = (async () => {
    const chunk = new Uint8Array(65_536);
    for (;;) await client.write(chunk);
  })().catch(() => {});
  await run(clock, 5_000, 50);
  const sentBefore = network.sent.get("10.0.0.2")!;
  await run(clock, 20_000, 50);
  const probes = network.sent.get("10.0.0.2")! - sentBefore;
  assert.ok(probes <= 40, `${probes} packets in 20 s toward a shut window`);
  assert.equal(client.closed, false, "probing does not give the connection up");
  client.reset();
  await writing;
});

Deno.test("an out-of-order storm far ahead of the stream is dropped without holding it", async () => {
  const clock = new ManualClock();
  const network = new LossyNetwork(clock, { delayMs: 1, jitterMs: 0, loss: 0, duplicate: 0 });
  const { socket: serverSocket, endpoint } = network.socket("10.0.0.2");
  const answers = listen(network);
  const accepted = serverSocket[Symbol.asyncIterator]().next();
  const syn = packet({ type: ST_SYN, connectionId: 100, windowSize: 1 << 20, seq: 500, ack: 0 });
  network.send(syn, attacker, endpoint);
  await run(clock, 5);
  const server = (await accepted).value as UtpConnection;
  // What the server's state packet said its next sequence number is: acks must not pass it.
  const ack = (answers[0].seq - 1) & 0xffff;
  const reading = server.read(new Uint8Array(16));
  let read: number | null | undefined;
  reading.then((count) => read = count);
  // Sequence numbers from far ahead to just behind: none is the next one (501).
  for (let seq = 502; seq < 502 + 60_000; seq += 7) {
    serverSocket.receive(
      packet({ type: ST_DATA, connectionId: 101, windowSize: 1 << 20, seq, ack }, 1_400),
      attacker,
    );
  }
  await turn();
  assert.equal(read, undefined, "nothing is delivered out of order");
  serverSocket.receive(
    packet({ type: ST_DATA, connectionId: 101, windowSize: 1 << 20, seq: 501, ack }, 16),
    attacker,
  );
  await turn();
  assert.equal(read, 16, "the next packet in order still goes through");
  server.reset();
});
