import assert from "node:assert/strict";
import { InfoHash } from "../../src/metainfo/mod.ts";
import { allowedFastSet } from "../../src/wire/mod.ts";

const bep6InfoHash = InfoHash.fromBytes(new Uint8Array(20).fill(0xaa));

Deno.test("the allowed-fast set is the one BEP 6 publishes for 80.4.4.200 and 1313 pieces", () => {
  assert.deepEqual(allowedFastSet(bep6InfoHash, "80.4.4.200", 1313, 7), [
    1059,
    431,
    808,
    1217,
    287,
    376,
    1188,
  ]);
  assert.deepEqual(allowedFastSet(bep6InfoHash, "80.4.4.200", 1313, 9), [
    1059,
    431,
    808,
    1217,
    287,
    376,
    1188,
    353,
    508,
  ]);
});

Deno.test("the allowed-fast set depends on the /24 network only, and on the torrent", () => {
  const set = allowedFastSet(bep6InfoHash, "80.4.4.200", 1313, 10);
  assert.equal(set.length, 10);
  assert.equal(new Set(set).size, 10, "no index twice");
  assert.ok(set.every((index) => Number.isInteger(index) && index >= 0 && index < 1313));
  assert.deepEqual(allowedFastSet(bep6InfoHash, "80.4.4.1", 1313, 10), set, "same /24");
  assert.deepEqual(allowedFastSet(bep6InfoHash, "::ffff:80.4.4.9", 1313, 10), set, "v4-mapped");
  assert.notDeepEqual(allowedFastSet(bep6InfoHash, "80.4.5.200", 1313, 10), set, "other /24");
  const other = InfoHash.fromBytes(new Uint8Array(20).fill(0xab));
  assert.notDeepEqual(allowedFastSet(other, "80.4.4.200", 1313, 10), set, "other torrent");
});

const edges: [string, string, number, number, number][] = [
  // name, ip, pieces, k, expected size
  ["more wanted than pieces: every piece once", "10.0.0.1", 3, 10, 3],
  ["a torrent of one piece", "10.0.0.1", 1, 10, 1],
  ["no pieces", "10.0.0.1", 0, 10, 0],
  ["IPv6: BEP 6 defines no set", "2001:db8::1", 1313, 10, 0],
  ["not an address", "80.4.4", 1313, 10, 0],
  ["an octet over 255", "80.4.4.300", 1313, 10, 0],
];

for (const [name, ip, pieces, k, size] of edges) {
  Deno.test(`allowed-fast set: ${name}`, () => {
    const set = allowedFastSet(bep6InfoHash, ip, pieces, k);
    assert.equal(set.length, size);
    assert.equal(new Set(set).size, size);
    assert.ok(set.every((index) => index < pieces));
  });
}
