import assert from "node:assert/strict";
import { type BencodeDict, decode, encode } from "../../src/bencode/mod.ts";
import {
  compactPeer,
  concat,
  encodeAnnounceAnswer,
  parseQuery,
  parseScrape,
} from "../../src/tracker/mod.ts";

const compact = (ip: string, port: number) => compactPeer(ip, port)!;
const ipv4 = [compact("127.0.0.1", 6881), compact("10.0.0.255", 65535)];
const ipv6 = [compact("::1", 7000), compact("2001:db8::ff00:42:8329", 1)];

Deno.test("the compact announce answer equals the npm encoder's output byte for byte", () => {
  for (const [v4, v6] of [[[], []], [ipv4.slice(0, 1), []], [ipv4, ipv6], [[], ipv6]]) {
    const peers = concat(v4);
    const peers6 = concat(v6);
    const answer = { interval: 1800, minInterval: 60, complete: 3, incomplete: 12, peers, peers6 };
    const expected = encode({
      complete: 3,
      incomplete: 12,
      interval: 1800,
      "min interval": 60,
      peers,
      peers6: peers6.length > 0 ? peers6 : undefined,
    });
    assert.deepEqual(encodeAnnounceAnswer(answer, { compact: true }), expected);
  }
});

Deno.test("compact=0 answers list every peer of both families as ip and port", () => {
  const answer = {
    interval: 1800,
    minInterval: 60,
    complete: 0,
    incomplete: 4,
    peers: concat(ipv4),
    peers6: concat(ipv6),
  };
  const decoded = decode(encodeAnnounceAnswer(answer, { compact: false })) as BencodeDict;
  const peers = (decoded.get("peers") as BencodeDict[]).map((peer) => [
    new TextDecoder().decode(peer.get("ip") as Uint8Array),
    peer.get("port"),
    [...peer.keys()].join(),
  ]);
  assert.deepEqual(peers, [
    ["127.0.0.1", 6881, "ip,port"],
    ["10.0.0.255", 65535, "ip,port"],
    ["::1", 7000, "ip,port"],
    ["2001:db8::ff00:42:8329", 1, "ip,port"],
  ]);
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
