import assert from "node:assert/strict";
import {
  decodePacket,
  emptyHeader,
  encodeHeader,
  HEADER_LENGTH,
  seqDistance,
  ST_DATA,
  ST_FIN,
  ST_RESET,
  ST_STATE,
  ST_SYN,
} from "../../src/transport/utp/mod.ts";

const fields = {
  connectionId: 0xbeef,
  timestamp: 0xfedcba98,
  timestampDifference: 123_456,
  windowSize: 1 << 20,
  seq: 65_535,
  ack: 7,
};

Deno.test("every packet type round-trips with every header field", () => {
  for (const type of [ST_DATA, ST_FIN, ST_STATE, ST_RESET, ST_SYN]) {
    const packet = new Uint8Array(HEADER_LENGTH + 3);
    const payloadAt = encodeHeader(packet, { type, ...fields });
    assert.equal(payloadAt, HEADER_LENGTH);
    packet.set([1, 2, 3], payloadAt);
    assert.equal(packet[0], (type << 4) | 1, "type in the high nibble, version 1 in the low");
    const header = emptyHeader();
    assert.ok(decodePacket(packet, header));
    assert.deepEqual(
      {
        type: header.type,
        connectionId: header.connectionId,
        timestamp: header.timestamp,
        timestampDifference: header.timestampDifference,
        windowSize: header.windowSize,
        seq: header.seq,
        ack: header.ack,
      },
      { type, ...fields },
    );
    assert.equal(header.selectiveAckOffset, -1);
    assert.deepEqual([...packet.subarray(header.payloadOffset)], [1, 2, 3]);
  }
});

Deno.test("the header is big-endian in BEP 29's field order", () => {
  const packet = new Uint8Array(HEADER_LENGTH);
  encodeHeader(packet, { type: ST_DATA, ...fields });
  assert.deepEqual(
    [...packet],
    [
      0x01,
      0x00,
      0xbe,
      0xef, // type/version, extension, connection id
      0xfe,
      0xdc,
      0xba,
      0x98, // timestamp
      0x00,
      0x01,
      0xe2,
      0x40, // timestamp difference
      0x00,
      0x10,
      0x00,
      0x00, // window
      0xff,
      0xff,
      0x00,
      0x07, // seq, ack
    ],
  );
});

Deno.test("a selective ack is written as extension 1 and read back", () => {
  const mask = Uint8Array.of(0b101, 0, 0, 0x80);
  const packet = new Uint8Array(64);
  const payloadAt = encodeHeader(packet, { type: ST_STATE, ...fields }, mask);
  assert.equal(packet[1], 1, "the first extension is a selective ack");
  assert.equal(payloadAt, HEADER_LENGTH + 2 + 4);
  const header = emptyHeader();
  assert.ok(decodePacket(packet.subarray(0, payloadAt), header));
  assert.equal(header.selectiveAckLength, 4);
  assert.deepEqual(
    [...packet.subarray(header.selectiveAckOffset, header.selectiveAckOffset + 4)],
    [...mask],
  );
  assert.equal(header.payloadOffset, payloadAt);
});

Deno.test("a selective ack of any length up to 32 bytes is read, as libtorrent sends them", () => {
  const packet = new Uint8Array(HEADER_LENGTH + 2 + 3);
  encodeHeader(packet, { type: ST_STATE, ...fields });
  packet[1] = 1;
  packet.set([0, 3, 0xff, 0x01, 0x80], HEADER_LENGTH);
  const header = emptyHeader();
  assert.ok(decodePacket(packet, header));
  assert.equal(header.selectiveAckLength, 3);
  assert.equal(header.selectiveAckOffset, HEADER_LENGTH + 2);
});

Deno.test("unknown extensions are skipped, as libutp's extension bits are", () => {
  const packet = new Uint8Array(HEADER_LENGTH + 10 + 6 + 2);
  encodeHeader(packet, { type: ST_DATA, ...fields });
  packet[1] = 2; // extension bits: 8 bytes, then a selective ack
  packet.set([1, 8, 0, 0, 0, 0, 0, 0, 0, 0], HEADER_LENGTH);
  packet.set([0, 4, 1, 0, 0, 0], HEADER_LENGTH + 10);
  packet.set([9, 9], HEADER_LENGTH + 16);
  const header = emptyHeader();
  assert.ok(decodePacket(packet, header));
  assert.equal(header.selectiveAckOffset, HEADER_LENGTH + 12);
  assert.deepEqual([...packet.subarray(header.payloadOffset)], [9, 9]);
});

Deno.test("malformed packets are refused", () => {
  const header = emptyHeader();
  const valid = new Uint8Array(HEADER_LENGTH);
  encodeHeader(valid, { type: ST_DATA, ...fields });
  const variant = (change: (bytes: Uint8Array) => void, length = HEADER_LENGTH + 8) => {
    const bytes = new Uint8Array(length);
    bytes.set(valid);
    change(bytes);
    return bytes;
  };
  const cases: [string, Uint8Array][] = [
    ["shorter than a header", valid.subarray(0, HEADER_LENGTH - 1)],
    ["version 0", variant((bytes) => bytes[0] = ST_DATA << 4)],
    ["version 2", variant((bytes) => bytes[0] = (ST_DATA << 4) | 2)],
    ["type 5", variant((bytes) => bytes[0] = (5 << 4) | 1)],
    ["an extension header cut off", variant((bytes) => bytes[1] = 1, HEADER_LENGTH + 1)],
    [
      "an extension longer than the packet",
      variant((bytes) => {
        bytes[1] = 1;
        bytes[HEADER_LENGTH + 1] = 40;
      }),
    ],
    [
      "an empty selective ack",
      variant((bytes) => {
        bytes[1] = 1;
        bytes[HEADER_LENGTH + 1] = 0;
      }),
    ],
  ];
  for (const [what, bytes] of cases) assert.equal(decodePacket(bytes, header), false, what);
  // A chain of extensions that never ends within the limit.
  const chain = new Uint8Array(HEADER_LENGTH + 2 * 20);
  chain.set(valid);
  chain[1] = 2;
  for (let i = 0; i < 20; i++) chain.set([2, 0], HEADER_LENGTH + 2 * i);
  assert.equal(decodePacket(chain, header), false, "twenty chained extensions");
});

Deno.test("sequence numbers compare across the 16-bit wrap", () => {
  assert.equal(seqDistance(1, 65_535), 2);
  assert.equal(seqDistance(65_535, 1), -2);
  assert.equal(seqDistance(100, 100), 0);
  assert.equal(seqDistance(32_767, 0), 32_767);
  assert.equal(seqDistance(32_768, 0), -32_768);
});
