import assert from "node:assert/strict";
import {
  acceptMse,
  type MseMethod,
  type PeerStream,
  ServedTorrents,
  writeAll,
} from "../../src/transport/mod.ts";
import { encodeHandshake, generatePeerId, parseHandshake } from "../../src/wire/mod.ts";
import { readHandshake } from "../../src/client/handshake_io.ts";
import { initiateMse } from "../../src/transport/mod.ts";
import { ManualClock } from "../engine/manual_clock.ts";
import {
  indexOf,
  infoHash,
  otherInfoHash,
  pipe,
  pseudoRandom,
  readExactly,
  tapped,
  TIMEOUT_MS,
} from "./mse_peers.ts";

const served = new ServedTorrents();
served.add(otherInfoHash);
served.add(infoHash);

/** Both sides of a handshake over one pipe, the receiver reading `firstRead` bytes first as the Client does. */
async function handshake(provide: MseMethod[], accept: MseMethod[], initialPayload: Uint8Array) {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const aTap = tapped(a);
  const bTap = tapped(b);
  const initiated = initiateMse(aTap.stream, {
    infoHash,
    provide,
    initialPayload,
    clock,
    timeoutMs: TIMEOUT_MS,
  });
  // The Client reads the first bytes to tell an encrypted peer from a plaintext handshake.
  const firstBytes = await readExactly(b, 20);
  const accepted = acceptMse(bTap.stream, {
    firstBytes,
    torrents: served,
    accept,
    clock,
    timeoutMs: TIMEOUT_MS,
  });
  return {
    initiator: await initiated,
    receiver: await accepted,
    aWire: aTap.wire,
    bWire: bTap.wire,
  };
}

/** Writes `data` in writes of varied sizes, some larger than a stream's write buffer. */
async function send(stream: PeerStream, data: Uint8Array): Promise<void> {
  const sizes = [1, 13, 16 * 1024 + 13, 128 * 1024, 300 * 1024, 5];
  for (let at = 0, i = 0; at < data.length; at += sizes[i], i = (i + 1) % sizes.length) {
    await writeAll(stream, data.subarray(at, at + sizes[i]));
  }
}

/** Reads `length` bytes through a 64 KiB buffer, as a peer connection would. */
async function receive(stream: PeerStream, length: number): Promise<Uint8Array> {
  const received = new Uint8Array(length);
  const buffer = new Uint8Array(64 * 1024);
  for (let filled = 0; filled < length;) {
    const count = await stream.read(buffer.subarray(0, Math.min(buffer.length, length - filled)));
    assert.notEqual(count, null, `stream ended after ${filled} bytes`);
    received.set(buffer.subarray(0, count!), filled);
    filled += count!;
  }
  return received;
}

const MiB = 1024 * 1024;

Deno.test("MSE with RC4: IA arrives first on the receiver's stream, then 6 MiB each way, encrypted on the wire", async () => {
  const peerId = generatePeerId("0.1.0");
  const ia = encodeHandshake(infoHash, peerId);
  const { initiator, receiver, aWire, bWire } = await handshake(["rc4"], ["rc4", "plaintext"], ia);
  assert.equal(initiator.method, "rc4");
  assert.equal(receiver.method, "rc4");
  assert.ok(receiver.infoHash.equals(infoHash));

  const { handshake: theirs, leftover } = await readHandshake(receiver.stream, new ManualClock());
  assert.ok(theirs.infoHash.equals(infoHash));
  assert.deepEqual(theirs.peerId, peerId);
  assert.equal(leftover.length, 0);

  const fromA = pseudoRandom(6 * MiB, 1);
  const fromB = pseudoRandom(6 * MiB, 2);
  const [, , atB, atA] = await Promise.all([
    send(initiator.stream, fromA),
    send(receiver.stream, fromB),
    receive(receiver.stream, fromA.length),
    receive(initiator.stream, fromB.length),
  ]);
  assert.ok(atB.every((byte, i) => byte === fromA[i]), "A's data reached B intact");
  assert.ok(atA.every((byte, i) => byte === fromB[i]), "B's data reached A intact");

  assert.equal(indexOf(aWire(), ia.subarray(0, 28)), -1, "no handshake in the clear");
  assert.equal(indexOf(aWire(), fromA.subarray(4 * MiB, 4 * MiB + 64)), -1, "A's data is hidden");
  assert.equal(indexOf(bWire(), fromB.subarray(4 * MiB, 4 * MiB + 64)), -1, "B's data is hidden");
});

Deno.test("MSE with plaintext selected: IA still encrypted, then the data in the clear both ways", async () => {
  const ia = encodeHandshake(infoHash, generatePeerId("0.1.0"));
  const { initiator, receiver, aWire, bWire } = await handshake(
    ["rc4", "plaintext"],
    ["plaintext", "rc4"],
    ia,
  );
  assert.equal(initiator.method, "plaintext");
  assert.equal(receiver.method, "plaintext");
  assert.deepEqual(await readExactly(receiver.stream, ia.length), ia);

  const fromA = pseudoRandom(3 * MiB, 3);
  const fromB = pseudoRandom(3 * MiB, 4);
  const [, , atB, atA] = await Promise.all([
    send(initiator.stream, fromA),
    send(receiver.stream, fromB),
    receive(receiver.stream, fromA.length),
    receive(initiator.stream, fromB.length),
  ]);
  assert.ok(atB.every((byte, i) => byte === fromA[i]));
  assert.ok(atA.every((byte, i) => byte === fromB[i]));

  assert.equal(indexOf(aWire(), ia.subarray(0, 28)), -1, "IA is encrypted even so");
  const aSent = aWire();
  assert.deepEqual(aSent.subarray(aSent.length - fromA.length), fromA, "A's data in the clear");
  const bSent = bWire();
  assert.deepEqual(bSent.subarray(bSent.length - fromB.length), fromB, "B's data in the clear");
});

const choices: [MseMethod[], MseMethod[], MseMethod][] = [
  [["rc4", "plaintext"], ["rc4", "plaintext"], "rc4"],
  [["rc4"], ["plaintext", "rc4"], "rc4"],
  [["plaintext"], ["rc4", "plaintext"], "plaintext"],
];
for (const [provide, accept, expected] of choices) {
  Deno.test(`MSE: offering ${provide} to a receiver that accepts ${accept} selects ${expected}`, async () => {
    const { initiator, receiver } = await handshake(provide, accept, Uint8Array.of(1, 2, 3));
    assert.equal(initiator.method, expected);
    assert.equal(receiver.method, expected);
    assert.deepEqual(await readExactly(receiver.stream, 3), Uint8Array.of(1, 2, 3));
    await writeAll(receiver.stream, Uint8Array.of(9, 8));
    assert.deepEqual(await readExactly(initiator.stream, 2), Uint8Array.of(9, 8));
  });
}

Deno.test("MSE with an empty IA: the BitTorrent handshake follows on the encrypted stream", async () => {
  const { initiator, receiver } = await handshake(["rc4"], ["rc4"], new Uint8Array(0));
  const ours = encodeHandshake(infoHash, generatePeerId("0.1.0"));
  await writeAll(initiator.stream, ours);
  const { handshake: theirs } = await readHandshake(receiver.stream, new ManualClock());
  assert.deepEqual(theirs, parseHandshake(ours));
});

Deno.test("MSE: the stream remembers the peer's address and closes the pipe", async () => {
  const { initiator, receiver } = await handshake(["rc4"], ["rc4"], new Uint8Array(0));
  assert.deepEqual(initiator.stream.remote, { ip: "10.0.0.2", port: 6881 });
  assert.deepEqual(receiver.stream.remote, { ip: "10.0.0.1", port: 40001 });
  initiator.stream.close();
  assert.equal(await receiver.stream.read(new Uint8Array(10)), null);
});
