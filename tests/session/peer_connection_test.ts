import assert from "node:assert/strict";
import { PeerConnection, systemClock } from "../../src/session/mod.ts";
import type { PeerStream } from "../../src/transport/mod.ts";
import { encodeMessage, type Message } from "../../src/wire/mod.ts";
import { testBytes } from "../helpers.ts";

/** A stream that records what is written, at most `chunk` bytes a write. */
function recordingStream(chunk: number) {
  const writes: Uint8Array[] = [];
  const stream: PeerStream = {
    remote: { ip: "10.0.0.1", port: 6881 },
    write(bytes: Uint8Array): Promise<number> {
      const taken = bytes.slice(0, chunk);
      writes.push(taken);
      return new Promise((resolve) => setTimeout(() => resolve(taken.length), 0));
    },
    read: () => new Promise<number | null>(() => {}),
    close() {},
  };
  return { stream, writes };
}

async function sendAll(chunk: number, messages: Message[]) {
  const recorded = recordingStream(chunk);
  const writes = recorded.writes;
  const peer = new PeerConnection(recorded.stream, systemClock);
  for (const message of messages) peer.send(message);
  while (peer.queuedBytes > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  peer.close("done");
  const stream = new Uint8Array(writes.reduce((sum, write) => sum + write.length, 0));
  let at = 0;
  for (const write of writes) {
    stream.set(write, at);
    at += write.length;
  }
  const expected = messages.map(encodeMessage);
  const expectedStream = new Uint8Array(expected.reduce((sum, bytes) => sum + bytes.length, 0));
  at = 0;
  for (const bytes of expected) {
    expectedStream.set(bytes, at);
    at += bytes.length;
  }
  return { writes, stream, expectedStream };
}

const MESSAGES: Message[] = [
  { type: "interested" },
  ...Array.from({ length: 10 }, (_, i): Message => ({
    type: "piece",
    index: i,
    begin: 16384,
    block: testBytes(16384, i + 1),
  })),
  ...Array.from({ length: 200 }, (_, i): Message => ({ type: "have", index: i % 10 })),
  { type: "request", index: 3, begin: 0, length: 16384 },
  { type: "piece", index: 9, begin: 0, block: testBytes(100, 99) },
];

Deno.test("queued messages go out in order, batched into a few writes of at most 128 KiB", async () => {
  const { writes, stream, expectedStream } = await sendAll(Infinity, MESSAGES);
  assert.deepEqual(stream, expectedStream);
  // The first message leaves alone; the 10 blocks and 202 small messages behind it share 2 writes.
  assert.equal(writes.length, 3);
  assert.ok(writes.every((write) => write.length <= 128 * 1024));
});

Deno.test("queued messages survive a connection that takes a little at a time", async () => {
  const { writes, stream, expectedStream } = await sendAll(1000, MESSAGES);
  assert.deepEqual(stream, expectedStream);
  assert.ok(writes.length > 150);
});
