import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  compactPeer,
  decodeAnnounceRequest,
  decodeAnnounceResponse,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeErrorResponse,
  decodeScrapeRequest,
  decodeScrapeResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  MAX_UDP_SCRAPE_HASHES,
  readUdpRequestHeader,
  TrackerError,
  UDP_PROTOCOL_ID,
  type UdpAnnounceRequest,
} from "../../src/tracker/mod.ts";
import { id } from "./tracker_helpers.ts";

const CONNECTION = 0x0123456789abcdefn;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `bytes` with `edit` applied to a copy. */
function edited(bytes: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(view(copy), copy);
  return copy;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function refuses(decode: () => unknown, message: RegExp, name?: string): void {
  assert.throws(
    decode,
    (error: unknown) => error instanceof TrackerError && message.test(error.message),
    name,
  );
}

const announce: UdpAnnounceRequest = {
  connectionId: CONNECTION,
  transactionId: 0xdeadbeef,
  infoHash: id(0xaa),
  peerId: id(0x01),
  downloaded: 5,
  left: 2 ** 40 + 3,
  uploaded: 7,
  event: "started",
  key: 0xfeedf00d,
  numWant: -1,
  port: 6881,
};

Deno.test("connect request: 16 bytes of magic, action 0 and the transaction id, read back", () => {
  const bytes = encodeConnectRequest(0x01020304);
  assert.deepEqual([...bytes], [0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4]);
  assert.deepEqual(decodeConnectRequest(bytes), { transactionId: 0x01020304 });
  assert.deepEqual(readUdpRequestHeader(bytes), {
    connectionId: UDP_PROTOCOL_ID,
    action: 0,
    transactionId: 0x01020304,
  });
});

Deno.test("connect request: short, long, wrong magic and wrong action are refused", () => {
  const good = encodeConnectRequest(9);
  const cases: [string, Uint8Array, RegExp][] = [
    ["15 bytes", good.subarray(0, 15), /16 bytes, got 15/],
    ["17 bytes", concat(good, [0]), /16 bytes, got 17/],
    ["empty", new Uint8Array(0), /16 bytes, got 0/],
    [
      "magic off by one",
      edited(good, (v) => v.setBigUint64(0, UDP_PROTOCOL_ID + 1n)),
      /protocol id/,
    ],
    ["action announce", edited(good, (v) => v.setUint32(8, 1)), /action 0, got 1/],
  ];
  for (const [name, bytes, message] of cases) {
    refuses(() => decodeConnectRequest(bytes), message, name);
  }
  assert.equal(readUdpRequestHeader(good.subarray(0, 15)), null, "too short for any header");
});

Deno.test("connect answer: the transaction id echoed and the connection id, read back", () => {
  const bytes = encodeConnectResponse(0xcafebabe, CONNECTION);
  assert.equal(bytes.length, 16);
  assert.equal(view(bytes).getUint32(0), 0);
  assert.equal(view(bytes).getUint32(4), 0xcafebabe);
  assert.equal(decodeConnectResponse(bytes, 0xcafebabe), CONNECTION);
});

Deno.test("connect answer: another transaction, another action, wrong lengths and errors are refused", () => {
  const good = encodeConnectResponse(5, CONNECTION);
  refuses(() => decodeConnectResponse(good, 6), /transaction 5, not 6/);
  refuses(
    () => decodeConnectResponse(edited(good, (v) => v.setUint32(0, 1)), 5),
    /action 1, not 0/,
  );
  refuses(() => decodeConnectResponse(good.subarray(0, 15), 5), /16 bytes, got 15/);
  refuses(() => decodeConnectResponse(concat(good, [0]), 5), /16 bytes, got 17/);
  refuses(() => decodeConnectResponse(good.subarray(0, 7), 5), /at least 8 bytes/);
  refuses(
    () => decodeConnectResponse(encodeErrorResponse(5, "go away"), 5),
    /^tracker refused: go away$/,
  );
});

Deno.test("announce request: every field at its BEP 15 offset, and read back", () => {
  const bytes = encodeAnnounceRequest({ ...announce, ip: "10.1.2.3", numWant: 30 });
  assert.equal(bytes.length, 98);
  const v = view(bytes);
  assert.equal(v.getBigUint64(0), CONNECTION);
  assert.equal(v.getUint32(8), 1);
  assert.equal(v.getUint32(12), 0xdeadbeef);
  assert.deepEqual(bytes.subarray(16, 36), id(0xaa));
  assert.deepEqual(bytes.subarray(36, 56), id(0x01));
  assert.equal(v.getBigUint64(56), 5n);
  assert.equal(v.getBigUint64(64), 2n ** 40n + 3n);
  assert.equal(v.getBigUint64(72), 7n);
  assert.equal(v.getUint32(80), 2, "started is 2");
  assert.deepEqual([...bytes.subarray(84, 88)], [10, 1, 2, 3]);
  assert.equal(v.getUint32(88), 0xfeedf00d);
  assert.equal(v.getInt32(92), 30);
  assert.equal(v.getUint16(96), 6881);
  assert.deepEqual(decodeAnnounceRequest(bytes), { ...announce, ip: "10.1.2.3", numWant: 30 });
  assert.deepEqual(decodeAnnounceRequest(encodeAnnounceRequest(announce)), announce);
  for (
    const [event, code] of [["", 0], ["completed", 1], ["started", 2], ["stopped", 3]] as const
  ) {
    const encoded = encodeAnnounceRequest({ ...announce, event });
    assert.equal(view(encoded).getUint32(80), code);
    assert.equal(decodeAnnounceRequest(encoded).event, event);
  }
});

Deno.test("announce request: byte counts past 2^53 are held at 2^53 - 1, as over HTTP", () => {
  const bytes = edited(encodeAnnounceRequest(announce), (v) => v.setBigUint64(64, 2n ** 63n - 1n));
  assert.equal(decodeAnnounceRequest(bytes).left, Number.MAX_SAFE_INTEGER);
  const all = edited(encodeAnnounceRequest(announce), (v) => v.setBigUint64(72, 2n ** 64n - 1n));
  assert.equal(decodeAnnounceRequest(all).uploaded, Number.MAX_SAFE_INTEGER);
});

Deno.test("announce request: BEP 41 URLData in chunks of 255, NOPs, EndOfOptions, unknown options", () => {
  const long = "/announce?" + "k=v&".repeat(100);
  const encoded = encodeAnnounceRequest({ ...announce, urlData: long });
  assert.equal(encoded.length, 98 + long.length + 2 * 2, "two chunks, each with type and length");
  assert.deepEqual([...encoded.subarray(98, 100)], [2, 255]);
  assert.equal(decodeAnnounceRequest(encoded).urlData, long);
  assert.deepEqual([...encodeAnnounceRequest({ ...announce, urlData: "" }).subarray(98)], [2, 0]);

  const base = encodeAnnounceRequest(announce);
  const path = [..."/dir?a=b"].map((c) => c.charCodeAt(0));
  const cases: [string, number[], string | undefined][] = [
    ["BEP 41's example", [2, 8, ...path], "/dir?a=b"],
    ["then two NOPs and EndOfOptions", [2, 8, ...path, 1, 1, 0], "/dir?a=b"],
    ["split in two", [2, 4, ...path.slice(0, 4), 2, 4, ...path.slice(4)], "/dir?a=b"],
    ["an unknown option with a length is skipped", [0x7f, 2, 9, 9, 2, 1, 0x2f], "/"],
    ["anything after EndOfOptions is left unread", [0, 0xff, 0xff], undefined],
    ["nothing", [], undefined],
  ];
  for (const [name, options, urlData] of cases) {
    assert.equal(decodeAnnounceRequest(concat(base, options)).urlData, urlData, name);
  }
});

Deno.test("announce request: short, wrong action, unknown event and broken options are refused", () => {
  const good = encodeAnnounceRequest(announce);
  const cases: [string, Uint8Array, RegExp][] = [
    ["97 bytes", good.subarray(0, 97), /at least 98 bytes, got 97/],
    ["a bare header", good.subarray(0, 16), /at least 98 bytes, got 16/],
    ["action scrape", edited(good, (v) => v.setUint32(8, 2)), /action 1, got 2/],
    ["event 4", edited(good, (v) => v.setUint32(80, 4)), /unknown event 4/],
    ["option without its length", concat(good, [2]), /option 2 has no length/],
    ["option past the end", concat(good, [2, 5, 0x2f]), /option 2 runs past the end/],
    ["unknown option past the end", concat(good, [9, 1]), /option 9 runs past the end/],
  ];
  for (const [name, bytes, message] of cases) {
    refuses(() => decodeAnnounceRequest(bytes), message, name);
  }
});

Deno.test("announce answer over IPv4 and IPv6: 6 and 18 bytes a peer", () => {
  const peers = (...pairs: [string, number][]) =>
    concat(...pairs.map(([ip, port]) => compactPeer(ip, port)!));
  const answer = {
    transactionId: 77,
    interval: 1800,
    leechers: 4,
    seeders: 2,
    peers: peers(["127.0.0.1", 6881], ["10.0.0.9", 1]),
  };
  const v4 = encodeAnnounceResponse(answer, "ipv4");
  assert.equal(v4.length, 20 + 2 * 6);
  assert.deepEqual([0, 4, 8, 12, 16].map((at) => view(v4).getUint32(at)), [1, 77, 1800, 4, 2]);
  assert.deepEqual(decodeAnnounceResponse(v4, 77, "ipv4"), {
    transactionId: 77,
    interval: 1800,
    leechers: 4,
    seeders: 2,
    peers: [{ ip: "127.0.0.1", port: 6881 }, { ip: "10.0.0.9", port: 1 }],
  });
  const v6 = encodeAnnounceResponse(
    { ...answer, peers: peers(["::1", 7000], ["2001:db8::1", 2]) },
    "ipv6",
  );
  assert.equal(v6.length, 20 + 2 * 18);
  assert.deepEqual(decodeAnnounceResponse(v6, 77, "ipv6").peers, [
    { ip: "::1", port: 7000 },
    { ip: "2001:db8::1", port: 2 },
  ]);
  assert.equal(encodeAnnounceResponse({ ...answer, peers: new Uint8Array(0) }, "ipv6").length, 20);
  assert.throws(
    () => encodeAnnounceResponse(answer, "ipv6"),
    RangeError,
    "12 bytes: no IPv6 peers",
  );
});

Deno.test("announce answer: another transaction, another action, partial peers and errors are refused", () => {
  const good = encodeAnnounceResponse(
    { transactionId: 3, interval: 60, leechers: 1, seeders: 0, peers: new Uint8Array(0) },
    "ipv4",
  );
  refuses(() => decodeAnnounceResponse(good, 4, "ipv4"), /transaction 3, not 4/);
  refuses(() => decodeAnnounceResponse(encodeConnectResponse(3, 1n), 3, "ipv4"), /action 0, not 1/);
  refuses(() => decodeAnnounceResponse(good.subarray(0, 19), 3, "ipv4"), /got 19/);
  refuses(() => decodeAnnounceResponse(concat(good, [1, 2, 3, 4, 5]), 3, "ipv4"), /got 25/);
  refuses(() => decodeAnnounceResponse(concat(good, new Uint8Array(12)), 3, "ipv6"), /got 32/);
  refuses(() => decodeAnnounceResponse(encodeErrorResponse(3, "full"), 3, "ipv4"), /refused: full/);
});

Deno.test("scrape request: many info hashes in order, read back; duplicates kept", () => {
  const hashes = Array.from({ length: MAX_UDP_SCRAPE_HASHES }, (_, i) => id(i));
  hashes[5] = id(0);
  const bytes = encodeScrapeRequest({
    connectionId: CONNECTION,
    transactionId: 8,
    infoHashes: hashes,
  });
  assert.equal(bytes.length, 16 + 20 * MAX_UDP_SCRAPE_HASHES);
  assert.equal(view(bytes).getUint32(8), 2);
  assert.deepEqual(decodeScrapeRequest(bytes), {
    connectionId: CONNECTION,
    transactionId: 8,
    infoHashes: hashes,
  });
});

Deno.test("scrape request: no hash, a partial hash, too many and wrong action are refused", () => {
  const two = encodeScrapeRequest({
    connectionId: CONNECTION,
    transactionId: 8,
    infoHashes: [id(1), id(2)],
  });
  const cases: [string, Uint8Array, RegExp][] = [
    ["a bare header", two.subarray(0, 16), /got 16 bytes/],
    ["19 bytes of a hash", two.subarray(0, 35), /got 35 bytes/],
    ["a hash and a half", two.subarray(0, 46), /got 46 bytes/],
    ["75 hashes", concat(two.subarray(0, 16), new Uint8Array(75 * 20)), /more than 74/],
    ["action announce", edited(two, (v) => v.setUint32(8, 1)), /action 2, got 1/],
  ];
  for (const [name, bytes, message] of cases) {
    refuses(() => decodeScrapeRequest(bytes), message, name);
  }
});

Deno.test("scrape answer: seeders, completed, leechers per torrent in the request's order", () => {
  const counts = [
    { complete: 1, incomplete: 2, downloaded: 3 },
    { complete: 0, incomplete: 0, downloaded: 0 },
    { complete: 2 ** 32 - 1, incomplete: 5, downloaded: 6 },
  ];
  const bytes = encodeScrapeResponse(12, counts);
  assert.equal(bytes.length, 8 + 3 * 12);
  assert.deepEqual([0, 4, 8, 12, 16].map((at) => view(bytes).getUint32(at)), [2, 12, 1, 3, 2]);
  assert.deepEqual(decodeScrapeResponse(bytes, 12, 3), counts);
  refuses(() => decodeScrapeResponse(bytes, 12, 2), /for 2 torrents is 32 bytes, got 44/);
  refuses(() => decodeScrapeResponse(bytes, 13, 3), /transaction 12, not 13/);
  refuses(() => decodeScrapeResponse(encodeErrorResponse(12, "no"), 12, 3), /refused: no/);
});

Deno.test("error answer: the transaction id echoed and a UTF-8 message, read back", () => {
  const bytes = encodeErrorResponse(0xffffffff, "unknown torrent – sorry");
  assert.equal(view(bytes).getUint32(0), 3);
  assert.deepEqual(decodeErrorResponse(bytes), {
    transactionId: 0xffffffff,
    message: "unknown torrent – sorry",
  });
  assert.deepEqual(decodeErrorResponse(encodeErrorResponse(1, "")).message, "");
  refuses(() => decodeErrorResponse(bytes.subarray(0, 7)), /at least 8 bytes/);
  refuses(() => decodeErrorResponse(encodeConnectResponse(1, 1n)), /action 3, got 0/);
});

Deno.test("encoders refuse values their fields cannot hold instead of wrapping them", () => {
  const cases: [string, () => unknown][] = [
    ["transaction id 2^32", () => encodeConnectRequest(2 ** 32)],
    ["negative transaction id", () => encodeConnectResponse(-1, 1n)],
    ["port 65536", () => encodeAnnounceRequest({ ...announce, port: 65536 })],
    ["numWant 2^31", () => encodeAnnounceRequest({ ...announce, numWant: 2 ** 31 })],
    [
      "19-byte info hash",
      () => encodeAnnounceRequest({ ...announce, infoHash: new Uint8Array(19) }),
    ],
    ["negative left", () => encodeAnnounceRequest({ ...announce, left: -1 })],
    ["unsafe uploaded", () => encodeAnnounceRequest({ ...announce, uploaded: 2 ** 60 })],
    ["not an IPv4 address", () => encodeAnnounceRequest({ ...announce, ip: "::1" })],
    ["URL data beyond a byte", () => encodeAnnounceRequest({ ...announce, urlData: "/é✓" })],
    [
      "no hashes",
      () => encodeScrapeRequest({ connectionId: 1n, transactionId: 1, infoHashes: [] }),
    ],
    ["75 hashes", () =>
      encodeScrapeRequest({
        connectionId: 1n,
        transactionId: 1,
        infoHashes: Array.from({ length: 75 }, () => id(1)),
      })],
  ];
  for (const [name, encode] of cases) assert.throws(encode, RangeError, name);
});

Deno.test("an announce's hashes are views of the datagram; a scrape's are copies", () => {
  // The tracker makes keys of an announce's hashes at once: views spare two
  // allocations an announce. A scrape's list is kept while it is answered.
  const datagram = encodeAnnounceRequest(announce);
  const decoded = decodeAnnounceRequest(datagram);
  assert.deepEqual(decoded.infoHash, id(0xaa));
  assert.equal(decoded.infoHash.buffer, datagram.buffer);
  assert.equal(decoded.peerId.buffer, datagram.buffer);
  const scrape = Buffer.from(
    encodeScrapeRequest({ connectionId: CONNECTION, transactionId: 1, infoHashes: [id(3)] }),
  );
  const hashes = decodeScrapeRequest(scrape).infoHashes;
  scrape.fill(0);
  assert.deepEqual(hashes, [id(3)]);
});
