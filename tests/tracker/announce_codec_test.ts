import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import {
  bytesToBinaryString,
  compactPeer,
  encodeAnnounceAnswer,
  parseQuery,
  parseScrape,
} from "../../src/tracker/mod.ts";

const peers = [
  ["127.0.0.1", 6881],
  ["::1", 7000],
  ["10.0.0.255", 65535],
  ["2001:db8::ff00:42:8329", 1],
].map(([ip, port]) => ({
  compact: bytesToBinaryString(compactPeer(ip as string, port as number)!),
  peerId: "x".repeat(20),
}));

Deno.test("the compact announce answer equals the npm encoder's output byte for byte", () => {
  for (const chosen of [[], peers.slice(0, 1), peers]) {
    const answer = { interval: 1800, minInterval: 60, complete: 3, incomplete: 12, peers: chosen };
    const v4 = chosen.filter((p) => p.compact.length === 6).map((p) => p.compact).join("");
    const v6 = chosen.filter((p) => p.compact.length === 18).map((p) => p.compact).join("");
    const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
    const expected = encode({
      complete: 3,
      incomplete: 12,
      interval: 1800,
      "min interval": 60,
      peers: bytes(v4),
      peers6: v6 ? bytes(v6) : undefined,
    });
    assert.deepEqual(encodeAnnounceAnswer(answer, { compact: true, noPeerId: false }), expected);
  }
});

Deno.test("compactPeer reads IPv4, IPv6 and IPv4-mapped forms, and refuses the rest", () => {
  assert.deepEqual([...compactPeer("127.0.0.1", 6881)!], [127, 0, 0, 1, 0x1a, 0xe1]);
  assert.deepEqual([...compactPeer("::1", 1)!], [...Array(15).fill(0), 1, 0, 1]);
  assert.deepEqual(
    [...compactPeer("::ffff:1.2.3.4", 2)!],
    [...Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4, 0, 2],
  );
  assert.deepEqual(
    [...compactPeer("2001:db8::1", 3)!].slice(0, 4),
    [0x20, 0x01, 0x0d, 0xb8],
  );
  for (const bad of ["256.0.0.1", "1.2.3", "example.com", "1::2::3", "12345::1", ""]) {
    assert.equal(compactPeer(bad, 1), null, bad);
  }
});

Deno.test("parseScrape gives each info hash once, in the order first asked", () => {
  const [a, b] = ["%AA".repeat(20), "%BB".repeat(20)];
  const query = parseQuery(`info_hash=${b}&info_hash=${a}&info_hash=${b}&info_hash=${b}`);
  assert.deepEqual(parseScrape(query), ["\xbb".repeat(20), "\xaa".repeat(20)]);
});
