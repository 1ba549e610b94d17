import assert from "node:assert/strict";
import {
  acceptMse,
  initiateMse,
  type MseAccepted,
  type MseInitiated,
  type MseMethod,
  type PeerStream,
  ServedTorrents,
  TransportError,
  writeAll,
} from "../../src/transport/mod.ts";
import { ManualClock } from "../engine/manual_clock.ts";
import {
  concat,
  infoHash,
  initiatorKeys,
  isClosed,
  otherInfoHash,
  pipe,
  pseudoRandom,
  readExactly,
  receiverKeys,
  reply,
  request,
  type RequestFields,
  TIMEOUT_MS,
} from "./mse_peers.ts";

const served = new ServedTorrents();
served.add(infoHash);

/** The receiver under test, reading the first bytes as the Client would (one read of up to `firstRead`). */
function accepting(
  stream: PeerStream,
  clock: ManualClock,
  accept: MseMethod[] = ["rc4"],
  firstRead = 20,
): Promise<MseAccepted> {
  return (async () => {
    const buffer = new Uint8Array(firstRead);
    const count = await stream.read(buffer);
    assert.notEqual(count, null);
    return acceptMse(stream, {
      firstBytes: buffer.subarray(0, count!),
      torrents: served,
      accept,
      clock,
      timeoutMs: TIMEOUT_MS,
    });
  })();
}

/** The initiator under test, offering `provide` with a small IA. */
function initiating(stream: PeerStream, clock: ManualClock, provide: MseMethod[] = ["rc4"]) {
  return initiateMse(stream, {
    infoHash,
    provide,
    initialPayload: new TextEncoder().encode("IA"),
    clock,
    timeoutMs: TIMEOUT_MS,
  });
}

/** A handshake under way: its error (undefined if it succeeded), caught at once, asserted later. */
interface Tracked {
  readonly error: Promise<unknown>;
  settled(): boolean;
}

function track(handshake: Promise<unknown>): Tracked {
  let settled = false;
  const error = handshake.then(() => undefined, (error) => error).finally(() => (settled = true));
  return { error, settled: () => settled };
}

/**
 * Lets everything pending run: the pipes and the handshakes run on promises
 * alone, so after one task nothing is left to happen until more bytes or
 * time arrive.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The error of a handshake that should fail on what it was sent, without
 * waiting. The clock then reaches the deadline, so one still waiting times
 * out and says so instead of hanging the test.
 */
async function failure(handshake: Tracked, clock: ManualClock): Promise<unknown> {
  await settle();
  clock.advance(TIMEOUT_MS);
  await settle();
  assert.ok(handshake.settled(), "the handshake ended");
  return await handshake.error;
}

/** The error of a handshake that should give up at its deadline, and not before. */
async function timeout(handshake: Tracked, clock: ManualClock): Promise<unknown> {
  await settle();
  clock.advance(TIMEOUT_MS - 1);
  await settle();
  assert.equal(handshake.settled(), false, "still waiting just before the deadline");
  clock.advance(1);
  await settle();
  assert.ok(handshake.settled(), "given up at the deadline");
  return await handshake.error;
}

function assertFailure(error: unknown, words: string): void {
  assert.ok(error instanceof TransportError, `a TransportError, not ${error}`);
  assert.ok(error.message.includes(words), `"${error.message}" says "${words}"`);
  assert.ok(!error.message.includes("\n"), "one line");
}

const zeros = (length: number) => new Uint8Array(length);

// The receiver facing hand-played initiators.

const hostileRequests: [
  string,
  { padA?: number; fields?: RequestFields; accept?: MseMethod[] },
  string,
][] = [
  [
    "a proof for a torrent we do not serve",
    { fields: { proofFor: otherInfoHash } },
    "do not serve",
  ],
  [
    "a proof for our torrent, but the rest encrypted with another torrent's key",
    { fields: { keysFor: otherInfoHash } },
    "verification constant",
  ],
  ["a crypto_provide of zero", { fields: { provide: 0 } }, "no encryption method we accept"],
  [
    "plaintext only, where we require RC4",
    { fields: { provide: 0x01 }, accept: ["rc4"] },
    "no encryption method we accept",
  ],
  ["PadC of 513 bytes", { fields: { padC: zeros(513) } }, "PadC is 513 bytes"],
  ["an IA of 16385 bytes", { fields: { ia: zeros(16385) } }, "initial payload is 16385 bytes"],
  ["PadA of 513 bytes: its req1 hash past the limit", { padA: 513 }, "did not synchronise"],
];
for (const [name, { padA = 0, fields, accept }, words] of hostileRequests) {
  Deno.test(`MSE receiver refuses ${name}`, async () => {
    const clock = new ManualClock();
    const { a, b } = pipe();
    const handshake = track(accepting(b, clock, accept));
    const keyed = await initiatorKeys(a, pseudoRandom(padA, 5));
    await writeAll(a, request(keyed, fields));
    assertFailure(await failure(handshake, clock), words);
    assert.ok(await isClosed(a), "the connection is closed");
  });
}

Deno.test("MSE receiver stops at the spec's limit on a stream of garbage that never synchronises", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(accepting(b, clock));
  // A key, then garbage that goes on: the receiver must not wait for more.
  await writeAll(a, concat(pseudoRandom(96, 6), pseudoRandom(96 + 512 + 20, 7)));
  assertFailure(await failure(handshake, clock), "did not synchronise");
  assert.ok(await isClosed(a));
});

Deno.test("MSE receiver refuses a key of zero before answering", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(accepting(b, clock));
  await writeAll(a, zeros(96));
  assertFailure(await failure(handshake, clock), "key is out of range");
  assert.equal(await a.read(new Uint8Array(1)), null, "no key sent back");
});

Deno.test("MSE receiver: a peer that closes mid-handshake", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(accepting(b, clock));
  const keyed = await initiatorKeys(a, zeros(0));
  await writeAll(a, request(keyed).subarray(0, 30));
  a.close();
  assertFailure(await failure(handshake, clock), "closed the connection");
});

const stalls: [string, (a: PeerStream) => Promise<void>][] = [
  ["after part of its key", (a) => writeAll(a, pseudoRandom(50, 8))],
  ["after its key", async (a) => void await initiatorKeys(a, zeros(10))],
  ["in the middle of IA", async (a) => {
    const keyed = await initiatorKeys(a, zeros(10));
    await writeAll(a, request(keyed, { iaLength: 68, ia: zeros(30) }));
  }],
];
for (const [name, stall] of stalls) {
  Deno.test(`MSE receiver times out on a peer that stalls ${name}, not before`, async () => {
    const clock = new ManualClock();
    const { a, b } = pipe();
    const handshake = track(accepting(b, clock, ["rc4"], 96));
    await stall(a);
    assertFailure(await timeout(handshake, clock), "timed out");
    assert.ok(await isClosed(a));
  });
}

Deno.test("MSE receiver takes PadA of 512 bytes and PadC of 512, the most the spec allows", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  // The Client may have read all of the key and PadA already.
  const accepted = accepting(b, clock, ["rc4"], 4096);
  const keyed = await initiatorKeys(a, pseudoRandom(512, 9));
  const ia = new TextEncoder().encode("the peer's handshake");
  await writeAll(a, request(keyed, { padC: pseudoRandom(512, 10), ia }));
  const { stream, method } = await accepted;
  assert.equal(method, "rc4");
  assert.deepEqual(await readExactly(stream, ia.length), ia);
});

Deno.test("MSE receiver keeps bytes sent in the same write as IA, after it", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const accepted = accepting(b, clock, ["rc4"]);
  const keyed = await initiatorKeys(a, zeros(0));
  const ia = Uint8Array.of(1, 2, 3);
  const next = new TextEncoder().encode("and then this");
  const step3 = request(keyed, { ia });
  const encryptedNext = next.slice();
  keyed.ciphers.encrypt.crypt(encryptedNext);
  await writeAll(a, concat(step3, encryptedNext));
  const { stream } = await accepted;
  assert.deepEqual(await readExactly(stream, ia.length + next.length), concat(ia, next));
});

// The initiator facing hand-played receivers.

const hostileReplies: [
  string,
  { padB?: number; select?: number; padD?: number; provide?: MseMethod[] },
  string,
][] = [
  ["plaintext when we offered RC4 only", { select: 0x01 }, "did not offer"],
  ["RC4 when we offered plaintext only", { select: 0x02, provide: ["plaintext"] }, "did not offer"],
  ["both methods at once", { select: 0x03, provide: ["rc4", "plaintext"] }, "did not offer"],
  ["no method", { select: 0 }, "did not offer"],
  ["PadD of 513 bytes", { padD: 513 }, "PadD is 513 bytes"],
  ["PadB of 513 bytes: its VC past the limit", { padB: 513 }, "did not synchronise"],
];
for (const [name, { padB = 0, select = 0x02, padD = 0, provide }, words] of hostileReplies) {
  Deno.test(`MSE initiator refuses a reply selecting ${name}`, async () => {
    const clock = new ManualClock();
    const { a, b } = pipe();
    const handshake = track(initiating(a, clock, provide));
    const keyed = await receiverKeys(b, pseudoRandom(padB, 11));
    await writeAll(b, reply(keyed, select, zeros(padD)));
    assertFailure(await failure(handshake, clock), words);
    assert.ok(await isClosed(b));
  });
}

Deno.test("MSE initiator stops at the spec's limit on garbage after the peer's key", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(initiating(a, clock));
  await receiverKeys(b, pseudoRandom(512 + 8, 12));
  assertFailure(await failure(handshake, clock), "did not synchronise");
  assert.ok(await isClosed(b));
});

Deno.test("MSE initiator refuses a peer key above the prime", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(initiating(a, clock));
  await receiverKeys(b, zeros(0), new Uint8Array(96).fill(0xff));
  assertFailure(await failure(handshake, clock), "key is out of range");
});

Deno.test("MSE initiator times out on a peer that stalls after its key, not before", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(initiating(a, clock));
  await receiverKeys(b, zeros(100));
  assertFailure(await timeout(handshake, clock), "timed out");
  assert.ok(await isClosed(b));
});

Deno.test("MSE initiator takes PadB and PadD of 512 bytes, and keeps what came in the same write", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const initiated: Promise<MseInitiated> = initiating(a, clock);
  const keyed = await receiverKeys(b, pseudoRandom(512, 13));
  const first = new TextEncoder().encode("the peer's handshake");
  const head = reply(keyed, 0x02, pseudoRandom(512, 14));
  const encryptedFirst = first.slice();
  keyed.ciphers.encrypt.crypt(encryptedFirst);
  await writeAll(b, concat(head, encryptedFirst));
  const { stream, method } = await initiated;
  assert.equal(method, "rc4");
  assert.deepEqual(await readExactly(stream, first.length), first);
});

Deno.test("MSE initiator gives up at once on a peer that answers with a plaintext handshake", async () => {
  const clock = new ManualClock();
  const { a, b } = pipe();
  const handshake = track(initiating(a, clock));
  const plaintext = new Uint8Array(68);
  plaintext.set(new TextEncoder().encode("\x13BitTorrent protocol"));
  await writeAll(b, plaintext);
  await settle();
  assert.ok(handshake.settled(), "no waiting for the deadline");
  assertFailure(await handshake.error, "answered in plaintext");
});
