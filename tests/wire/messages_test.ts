import assert from "node:assert/strict";
import { InfoHash } from "../../src/metainfo/mod.ts";
import {
  Bitfield,
  BLOCK_SIZE,
  encodeHandshake,
  encodeMessage,
  extensionHandshake,
  fitToGeometry,
  generatePeerId,
  MAX_MESSAGE_LENGTH,
  type Message,
  messageLengthLimit,
  MessageReader,
  parseExtensionHandshake,
  parseHandshake,
  supportsExtensionProtocol,
  supportsFast,
  WireError,
} from "../../src/wire/mod.ts";

// 10 pieces of 32 KiB, the last one 5,000 bytes.
const geometry = { pieceCount: 10, pieceLength: 32768, totalLength: 9 * 32768 + 5000 };

/** What a session reads: framing with the torrent's length limit, then the geometry check. */
function read(reader: MessageReader, chunk: Uint8Array): Message[] {
  return reader.push(chunk).map((message) => fitToGeometry(message, geometry));
}

function torrentReader(): MessageReader {
  return new MessageReader(messageLengthLimit(geometry));
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

const block = new Uint8Array(BLOCK_SIZE).map((_, i) => i % 251);
const roundTrips: [Message, number[]][] = [
  [{ type: "keep-alive" }, [0, 0, 0, 0]],
  [{ type: "choke" }, [0, 0, 0, 1, 0]],
  [{ type: "unchoke" }, [0, 0, 0, 1, 1]],
  [{ type: "interested" }, [0, 0, 0, 1, 2]],
  [{ type: "not-interested" }, [0, 0, 0, 1, 3]],
  [{ type: "have", index: 9 }, [0, 0, 0, 5, 4, ...u32(9)]],
  [{ type: "request", index: 2, begin: 16384, length: 16384 }, [
    0,
    0,
    0,
    13,
    6,
    ...u32(2),
    ...u32(16384),
    ...u32(16384),
  ]],
  [{ type: "cancel", index: 9, begin: 0, length: 5000 }, [
    0,
    0,
    0,
    13,
    8,
    ...u32(9),
    ...u32(0),
    ...u32(5000),
  ]],
  [{ type: "port", port: 6881 }, [0, 0, 0, 3, 9, 0x1a, 0xe1]],
  [{ type: "suggest", index: 3 }, [0, 0, 0, 5, 13, ...u32(3)]],
  [{ type: "have-all" }, [0, 0, 0, 1, 14]],
  [{ type: "have-none" }, [0, 0, 0, 1, 15]],
  [{ type: "reject", index: 2, begin: 0, length: 16384 }, [
    0,
    0,
    0,
    13,
    16,
    ...u32(2),
    ...u32(0),
    ...u32(16384),
  ]],
  [{ type: "allowed-fast", index: 7 }, [0, 0, 0, 5, 17, ...u32(7)]],
];

for (const [message, wire] of roundTrips) {
  Deno.test(`${message.type}: encodes to its bytes and decodes back`, () => {
    assert.deepEqual([...encodeMessage(message)], wire);
    assert.deepEqual(read(torrentReader(), bytes(...wire)), [message]);
  });
}

Deno.test("BEP 52 hash request, hashes and hash reject round-trip", () => {
  const range = {
    piecesRoot: new Uint8Array(32).fill(5),
    baseLayer: 0,
    index: 8,
    length: 2,
    proofLayers: 1,
  };
  const messages: [Message, number][] = [
    [{ type: "hash-request", ...range }, 21],
    [{ type: "hashes", ...range, hashes: new Uint8Array(3 * 32).fill(6) }, 22],
    [{ type: "hash-reject", ...range }, 23],
  ];
  for (const [message, id] of messages) {
    const wire = encodeMessage(message);
    assert.equal(wire[4], id);
    assert.deepEqual(new MessageReader().push(wire), [message]);
  }
  assert.throws(
    () => new MessageReader().push(bytes(0, 0, 0, 50, 22, ...new Array(49).fill(0))),
    /hashes message with 1 hash bytes/,
  );
});

Deno.test("framing knows only a maximum length: a metadata-sized extension message is read before any geometry", () => {
  // A BEP 9 metadata piece: 16 KiB of info dictionary behind its own small dictionary.
  const payload = new Uint8Array(16 * 1024 + 40).fill(0x61);
  const message = { type: "extended", extendedId: 3, payload } as const;
  assert.deepEqual(new MessageReader().push(encodeMessage(message)), [message]);
  assert.deepEqual(torrentReader().push(encodeMessage(message)), [message]);
  assert.throws(
    () => new MessageReader().push(bytes(...u32(MAX_MESSAGE_LENGTH + 1), 20)),
    /exceeds the limit of 1048576/,
  );
  // Unchecked until the geometry is known: a have for piece 99 of a 10-piece torrent.
  const have = new MessageReader().push(bytes(0, 0, 0, 5, 4, ...u32(99)));
  assert.deepEqual(have, [{ type: "have", index: 99 }]);
  assert.throws(() => fitToGeometry(have[0], geometry), /have for piece 99/);
});

Deno.test("piece and bitfield messages round-trip", () => {
  const have = new Bitfield(10);
  [0, 3, 9].forEach((i) => have.set(i));
  const messages: Message[] = [
    { type: "bitfield", bitfield: have },
    { type: "piece", index: 1, begin: 16384, block },
    { type: "piece", index: 9, begin: 0, block: block.subarray(0, 5000) },
  ];
  const reader = torrentReader();
  const decoded = read(reader, new Uint8Array(messages.flatMap((m) => [...encodeMessage(m)])));
  assert.deepEqual(decoded.map((m) => m.type), ["bitfield", "piece", "piece"]);
  const bitfield = (decoded[0] as { bitfield: Bitfield }).bitfield;
  assert.deepEqual([...Array(10).keys()].filter((i) => bitfield.has(i)), [0, 3, 9]);
  assert.equal(bitfield.count, 3);
  assert.deepEqual((decoded[1] as { block: Uint8Array }).block, block);
  assert.deepEqual((decoded[2] as { block: Uint8Array }).block, block.subarray(0, 5000));
});

Deno.test("framing tolerates any chunking, down to one byte at a time", () => {
  const stream = new Uint8Array([
    ...encodeMessage({ type: "unchoke" }),
    ...encodeMessage({ type: "piece", index: 0, begin: 0, block }),
    ...encodeMessage({ type: "keep-alive" }),
    ...encodeMessage({ type: "have", index: 4 }),
  ]);
  for (const chunkSize of [1, 3, 7, 4096, stream.length]) {
    const reader = torrentReader();
    const seen: Message[] = [];
    for (let i = 0; i < stream.length; i += chunkSize) {
      // Blocks are views valid until the next push: keep copies, as the session does.
      for (const message of read(reader, stream.subarray(i, i + chunkSize))) {
        seen.push(
          message.type === "piece" ? { ...message, block: message.block.slice() } : message,
        );
      }
    }
    assert.deepEqual(
      seen.map((m) => m.type),
      ["unchoke", "piece", "keep-alive", "have"],
      `chunks of ${chunkSize}`,
    );
    assert.deepEqual((seen[1] as { block: Uint8Array }).block, block);
  }
});

Deno.test("messages of ids we do not know are read and passed on as unknown", () => {
  const reader = torrentReader();
  assert.deepEqual(read(reader, bytes(0, 0, 0, 3, 99, 0, 0, 0, 0, 0, 1, 1)), [
    { type: "unknown", id: 99 },
    { type: "unchoke" },
  ]);
});

Deno.test("extension messages (BEP 10) round-trip; our extension handshake offers m, reqq and v", () => {
  const handshake = extensionHandshake({
    messages: { ut_metadata: 1 },
    maxQueuedRequests: 512,
    client: "p2p 0.1.0",
    extra: { metadata_size: 300 },
  });
  const wire = encodeMessage(handshake);
  const dictionary = "d1:md11:ut_metadatai1ee13:metadata_sizei300e4:reqqi512e1:v9:p2p 0.1.0e";
  assert.deepEqual([...wire.subarray(0, 6)], [0, 0, 0, 2 + dictionary.length, 20, 0]);
  assert.equal(new TextDecoder().decode(wire.subarray(6)), dictionary);
  assert.deepEqual(read(torrentReader(), wire), [handshake]);
  assert.deepEqual(parseExtensionHandshake((handshake as { payload: Uint8Array }).payload), {
    messages: new Map([["ut_metadata", 1]]),
    maxQueuedRequests: 512,
    client: "p2p 0.1.0",
    metadataSize: 300,
  });
  const pex = { type: "extended", extendedId: 1, payload: bytes(0x64, 0x65) } as const;
  assert.deepEqual(read(torrentReader(), encodeMessage(pex)), [pex]);
});

Deno.test("a peer's extension handshake gives what made sense of m, reqq, v, p, yourip and metadata_size", () => {
  const read = (text: string) => parseExtensionHandshake(new TextEncoder().encode(text));
  const none = { messages: new Map() };
  assert.deepEqual(read("d1:md11:ut_metadatai3ee4:reqqi250e1:v13:qBittorrent 4e"), {
    messages: new Map([["ut_metadata", 3]]),
    maxQueuedRequests: 250,
    client: "qBittorrent 4",
  });
  assert.deepEqual(
    read("d1:md6:ut_pexi0e5:largei300e4:oddsi1e3:str1:xe1:pi51413e6:yourip4:\x7f\0\0\x01e"),
    { messages: new Map([["odds", 1]]), listenPort: 51413, yourIp: bytes(0x7f, 0, 0, 1) },
  );
  assert.deepEqual(read("d13:metadata_sizei31235ee"), { ...none, metadataSize: 31235 });
  assert.deepEqual(read("d1:mdee"), none);
  assert.deepEqual(read("d4:reqqi0ee"), none);
  assert.deepEqual(read("d4:reqq3:abce"), none);
  assert.deepEqual(read("d1:pi70000e6:yourip3:abc13:metadata_sizei-1ee"), none);
  assert.deepEqual(read("li1ee"), none);
  assert.deepEqual(read("d4:reqqi5"), none);
});

const violations: [string, number[], RegExp][] = [
  ["an oversize length", [0x7f, 0xff, 0xff, 0xff, 7], /exceeds the limit/],
  [
    "a block larger than 16 KiB",
    [...u32(9 + BLOCK_SIZE + 1), 7, ...u32(0), ...u32(0)],
    /exceeds the limit/,
  ],
  [
    "have beyond the last piece",
    [0, 0, 0, 5, 4, ...u32(10)],
    /have for piece 10, but the torrent has 10/,
  ],
  ["have with a short payload", [0, 0, 0, 3, 4, 0, 0], /have message with a 2-byte payload/],
  ["a choke with a payload", [0, 0, 0, 2, 0, 1], /choke message with a 1-byte payload/],
  ["a bitfield of the wrong length", [0, 0, 0, 4, 5, 0, 0, 0], /bitfield of 3 bytes for 10 pieces/],
  ["a bitfield with spare bits", [0, 0, 0, 3, 5, 0, 0x01], /spare bits/],
  [
    "a request over 128 KiB",
    [0, 0, 0, 13, 6, ...u32(0), ...u32(0), ...u32(131073)],
    /at most 131072/,
  ],
  [
    "a request past the piece end",
    [0, 0, 0, 13, 6, ...u32(0), ...u32(32000), ...u32(16384)],
    /outside piece 0/,
  ],
  [
    "a request past the short last piece",
    [0, 0, 0, 13, 6, ...u32(9), ...u32(0), ...u32(5001)],
    /outside piece 9 \(5000 bytes\)/,
  ],
  [
    "a request for a missing piece",
    [0, 0, 0, 13, 6, ...u32(99), ...u32(0), ...u32(16384)],
    /piece 99/,
  ],
  [
    "a zero-length request",
    [0, 0, 0, 13, 6, ...u32(0), ...u32(0), ...u32(0)],
    /request of 0 bytes/,
  ],
  [
    "a piece past the piece end",
    [0, 0, 0, 11, 7, ...u32(9), ...u32(4999), 1, 2],
    /piece of 2 bytes at 4999 outside piece 9/,
  ],
  ["a piece without header", [0, 0, 0, 5, 7, 0, 0, 0, 0], /without its header/],
  ["an extension message without its id", [0, 0, 0, 1, 20], /extension message without its id/],
];

for (const [name, wire, message] of violations) {
  Deno.test(`the reader refuses ${name}`, () => {
    assert.throws(
      () => read(torrentReader(), bytes(...wire)),
      (error: unknown) => error instanceof WireError && message.test(error.message),
    );
  });
}

Deno.test("handshakes round-trip and foreign protocols are refused", () => {
  const infoHash = new Uint8Array(20).fill(7);
  const peerId = generatePeerId("0.1.0");
  const bytes = encodeHandshake(InfoHash.fromBytes(infoHash), peerId);
  assert.equal(bytes.length, 68);
  assert.equal(new TextDecoder().decode(bytes.subarray(1, 20)), "BitTorrent protocol");
  // Reserved bytes: the extension protocol's bit (BEP 10: byte 5, 0x10) and the
  // Fast extension's (BEP 6: byte 7, 0x04).
  assert.deepEqual([...bytes.subarray(20, 28)], [0, 0, 0, 0, 0, 0x10, 0, 0x04]);
  const parsed = parseHandshake(bytes);
  assert.ok(supportsExtensionProtocol(parsed.reserved));
  assert.ok(supportsFast(parsed.reserved));
  assert.ok(!supportsExtensionProtocol(new Uint8Array(8)));
  assert.ok(!supportsFast(new Uint8Array(8)));
  const slow = encodeHandshake(InfoHash.fromBytes(infoHash), peerId, { fast: false });
  assert.deepEqual([...slow.subarray(20, 28)], [0, 0, 0, 0, 0, 0x10, 0, 0]);
  assert.ok(!supportsFast(parseHandshake(slow).reserved));
  // Other bits of byte 7 (BEP 5's DHT is 0x01) say nothing of Fast.
  assert.ok(!supportsFast(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0xfb])));
  assert.deepEqual(parsed.infoHash.bytes, infoHash);
  assert.deepEqual(parsed.peerId, peerId);
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\n".padEnd(68, "x"));
  assert.throws(() => parseHandshake(http), /not a BitTorrent handshake/);
  assert.throws(() => parseHandshake(bytes.subarray(0, 60)), /handshake of 60 bytes/);
});

Deno.test("peer ids are Azureus style with our version and random tails", () => {
  const a = new TextDecoder().decode(generatePeerId("0.1.0"));
  const b = new TextDecoder().decode(generatePeerId("0.1.0"));
  assert.match(a, /^-P20100-[0-9A-Za-z]{12}$/);
  assert.notEqual(a, b);
});
