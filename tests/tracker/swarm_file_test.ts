import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  type AnnounceRequest,
  bytesToBinaryString,
  compactPeer,
  concat,
  decodeSwarmFile,
  encodeSwarmFile,
  parseCompactPeers,
  SWARM_FILE_VERSION,
  SwarmFileError,
  SwarmRegistry,
} from "../../src/tracker/mod.ts";

const OPTIONS = { interval: 1800, minInterval: 60 };
const hash = (fill: number) => String.fromCharCode(fill).repeat(20);

function announce(
  registry: SwarmRegistry,
  infoHash: string,
  ip: string,
  port: number,
  fields: Partial<AnnounceRequest> = {},
) {
  return registry.announce({
    infoHash,
    peerId: "-XX0001-" + "0".repeat(12),
    port,
    uploaded: 0,
    downloaded: 0,
    left: 1,
    event: "",
    compact: true,
    numwant: 500,
    ...fields,
  }, bytesToBinaryString(compactPeer(ip, port)!));
}

/** Every peer of a swarm as "ip:port", from an announce by a newcomer that then leaves. */
function peersOf(registry: SwarmRegistry, infoHash: string): string[] {
  const { answer } = announce(registry, infoHash, "192.0.2.99", 9);
  announce(registry, infoHash, "192.0.2.99", 9, { event: "stopped" });
  return [...parseCompactPeers(answer.peers, 6)!, ...parseCompactPeers(answer.peers6, 18)!]
    .map((p) => `${p.ip}:${p.port}`).sort();
}

/** A registry with seeders and leechers of both families, and a swarm kept for its count. */
function sample(now: () => number): SwarmRegistry {
  const registry = new SwarmRegistry({ ...OPTIONS, now });
  announce(registry, hash(1), "10.0.0.1", 6881, { left: 0 });
  announce(registry, hash(1), "10.0.0.2", 6882);
  announce(registry, hash(1), "2001:db8::1", 6883, { left: 0, event: "completed" });
  announce(registry, hash(1), "2001:db8::2", 6884);
  announce(registry, hash(2), "10.0.0.3", 6885, { left: 0, event: "completed" });
  announce(registry, hash(2), "10.0.0.3", 6885, { event: "stopped" });
  return registry;
}

function saved(registry: SwarmRegistry): Uint8Array {
  const { savedAt, swarms } = registry.snapshot();
  // Each chunk is valid until the next is asked for: copy as they come.
  return concat(Array.from(encodeSwarmFile(savedAt, swarms), (chunk) => chunk.slice()));
}

Deno.test("saved swarms come back with their peers, roles and completed counts", () => {
  const now = 5_000_000;
  const original = sample(() => now);
  const bytes = saved(original);
  const restored = new SwarmRegistry({ ...OPTIONS, now: () => now });
  const { savedAt, swarms } = decodeSwarmFile(bytes);
  assert.equal(savedAt, 5000);
  assert.deepEqual(restored.restore(savedAt, swarms), { swarms: 2, peers: 4 });
  for (const infoHash of [hash(1), hash(2)]) {
    assert.deepEqual(restored.scrape(infoHash), original.scrape(infoHash));
  }
  assert.deepEqual(peersOf(restored, hash(1)), [
    "10.0.0.1:6881",
    "10.0.0.2:6882",
    "2001:db8::1:6883",
    "2001:db8::2:6884",
  ]);
  assert.deepEqual(restored.scrape(hash(2)), { complete: 0, incomplete: 0, downloaded: 1 });
});

Deno.test("restored peers keep the lifetime they had left, less the time the tracker was down", () => {
  let now = 0;
  const original = new SwarmRegistry({ ...OPTIONS, now: () => now });
  announce(original, hash(1), "10.0.0.1", 6881);
  now = 1000_000;
  announce(original, hash(1), "10.0.0.2", 6882);
  now = 1200_000;
  const bytes = saved(original);
  now = 2000_000; // down for 800 s
  const restored = new SwarmRegistry({ ...OPTIONS, now: () => now });
  const file = decodeSwarmFile(bytes);
  restored.restore(file.savedAt, file.swarms);
  assert.equal(restored.size.peers, 2);
  now = 3620_000; // the first peer's 3600 s have run out, as they would have without a restart
  restored.expire();
  assert.deepEqual(peersOf(restored, hash(1)), ["10.0.0.2:6882"]);
  now = 4620_000;
  restored.expire();
  assert.deepEqual(restored.size, { swarms: 0, peers: 0 });
});

Deno.test("peers whose lifetime ran out while the tracker was down are not restored", () => {
  let now = 0;
  const original = sample(() => now);
  const bytes = saved(original);
  now = 4000_000;
  const restored = new SwarmRegistry({ ...OPTIONS, now: () => now });
  const file = decodeSwarmFile(bytes);
  assert.deepEqual(restored.restore(file.savedAt, file.swarms), { swarms: 2, peers: 0 });
  assert.deepEqual(restored.scrape(hash(1)), { complete: 0, incomplete: 0, downloaded: 1 });
});

Deno.test("a restore keeps to the caps, and to a shorter lifetime set since", () => {
  let now = 0;
  const bytes = saved(sample(() => now));
  const file = decodeSwarmFile(bytes);
  const capped = new SwarmRegistry({ ...OPTIONS, maxSwarms: 1, maxPeers: 3, now: () => now });
  assert.deepEqual(capped.restore(file.savedAt, file.swarms), { swarms: 1, peers: 3 });
  const shorter = new SwarmRegistry({ interval: 60, minInterval: 60, now: () => now });
  shorter.restore(file.savedAt, file.swarms);
  now = 620_000; // past the 600 s lifetime of --interval 60, within the saved 3600 s
  shorter.expire();
  assert.equal(shorter.size.peers, 0);
});

Deno.test("a snapshot larger than a chunk is written in several and reads back whole", () => {
  const registry = new SwarmRegistry(OPTIONS);
  for (let n = 0; n < 120_000; n++) {
    const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    announce(registry, hash(1 + (n % 3)), ip, 1 + (n % 60_000), { left: n % 2, numwant: 0 });
  }
  const { savedAt, swarms } = registry.snapshot();
  const chunks = Array.from(encodeSwarmFile(savedAt, swarms), (chunk) => chunk.slice());
  assert.ok(chunks.length > 1, `${chunks.length} chunks`);
  const file = decodeSwarmFile(concat(chunks));
  const restored = new SwarmRegistry(OPTIONS);
  assert.deepEqual(restored.restore(file.savedAt, file.swarms), { swarms: 3, peers: 120_000 });
  assert.deepEqual(restored.scrape(hash(2)), registry.scrape(hash(2)));
});

/** A copy of `bytes` with `change` applied and the checksum made right again. */
function resealed(bytes: Uint8Array, change: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  change(view);
  view.setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true);
  return copy;
}

Deno.test("a truncated or corrupt file is refused, whatever byte is cut or changed", () => {
  const bytes = saved(sample(() => 0));
  for (let length = 0; length < bytes.length; length++) {
    assert.throws(() => decodeSwarmFile(bytes.subarray(0, length)), SwarmFileError, `${length}`);
  }
  for (let at = 0; at < bytes.length; at++) {
    const copy = bytes.slice();
    copy[at] ^= 0x40;
    assert.throws(() => decodeSwarmFile(copy), SwarmFileError, `byte ${at}`);
  }
  assert.throws(() => decodeSwarmFile(concat([bytes, new Uint8Array(1)])), SwarmFileError);
});

// The first swarm's header starts at byte 20: hash, downloaded (40), v4 count (44), v4
// seeders (48), v6 count (52), v6 seeders (56); its first peer's port is at 60 + 4.
const HOSTILE: [string, (view: DataView) => void, RegExp][] = [
  ["another version", (v) => v.setUint32(8, SWARM_FILE_VERSION + 1, true), /version 2/],
  ["a save time that is no time", (v) => v.setFloat64(12, NaN, true), /save time/],
  ["more seeders than peers", (v) => v.setUint32(48, 3, true), /more seeders than peers/],
  ["a count past the end", (v) => v.setUint32(44, 1000, true), /truncated swarm/],
  ["counts that do not add up", (v) => v.setUint32(52, 1, true), /./],
  ["port 0", (v) => v.setUint16(64, 0, true), /port 0/],
  ["a wrong swarm count", (v) => v.setUint32(v.byteLength - 8, 7, true), /file says 7/],
];

for (const [name, change, reason] of HOSTILE) {
  Deno.test(`a well-sealed file with ${name} is refused`, () => {
    const bytes = resealed(saved(sample(() => 0)), change);
    assert.throws(() => decodeSwarmFile(bytes), (error: unknown) => {
      assert.ok(error instanceof SwarmFileError);
      assert.match(error.message, reason);
      return true;
    });
  });
}

Deno.test("a file not ours is refused by its first bytes", () => {
  const bytes = resealed(saved(sample(() => 0)), (view) => view.setUint8(0, 0x50));
  assert.throws(() => decodeSwarmFile(bytes), /not a swarm file/);
});

Deno.test("a peer saved twice fails the restore, which is then to be discarded", () => {
  const bytes = resealed(saved(sample(() => 0)), (view) => {
    // The first swarm's second IPv4 peer becomes a copy of its first.
    for (let i = 0; i < 6; i++) view.setUint8(66 + i, view.getUint8(60 + i));
  });
  const file = decodeSwarmFile(bytes);
  const registry = new SwarmRegistry({ ...OPTIONS, now: () => 0 });
  assert.throws(() => registry.restore(file.savedAt, file.swarms), /listed twice/);
});
