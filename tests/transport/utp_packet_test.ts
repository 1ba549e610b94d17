/**
 * The uTP packet codec against selective-ack masks as real peers write
 * them: libtorrent (2.0.8 here) sends masks of whatever length its
 * receive buffer spans (seen: 1, 3, 15, 27-31, 43 and 51 bytes), not the
 * multiples of 4 of BEP 29. Dropping such packets stalled every transfer
 * from libtorrent after its first lost packet: its acks and its data both
 * carried the mask, so neither was ever read again.
 */
import assert from "node:assert/strict";
import {
  decodePacket,
  emptyHeader,
  encodeHeader,
  EXTENSION_SELECTIVE_ACK,
  HEADER_LENGTH,
  ST_DATA,
  ST_STATE,
} from "../../src/transport/utp/packet.ts";

/** A packet of `type` with a selective-ack mask of `mask` and then `payload`. */
function packetWithMask(type: number, mask: number[], payload: number[] = []): Uint8Array {
  const packet = new Uint8Array(HEADER_LENGTH + 2 + mask.length + payload.length);
  encodeHeader(packet, {
    type,
    connectionId: 39826,
    timestamp: 1,
    timestampDifference: 2,
    windowSize: 1_045_776,
    seq: 35931,
    ack: 18612,
  });
  packet[1] = EXTENSION_SELECTIVE_ACK;
  packet[HEADER_LENGTH] = 0;
  packet[HEADER_LENGTH + 1] = mask.length;
  packet.set(mask, HEADER_LENGTH + 2);
  packet.set(payload, HEADER_LENGTH + 2 + mask.length);
  return packet;
}

Deno.test("uTP: a data packet with libtorrent's 1-byte selective ack is read, payload and all", () => {
  // From a capture: libtorrent's DATA seq 35931, 9 bytes, mask 0x00 (nothing after ack + 1 yet).
  const payload = [0, 0, 0, 5, 4, 0, 0, 0, 7];
  const header = emptyHeader();
  assert.ok(decodePacket(packetWithMask(ST_DATA, [0x00], payload), header));
  assert.equal(header.type, ST_DATA);
  assert.equal(header.seq, 35931);
  assert.equal(header.ack, 18612);
  assert.equal(header.selectiveAckLength, 1);
  assert.equal(header.payloadOffset, HEADER_LENGTH + 3);
});

Deno.test("uTP: selective-ack masks of every length from 1 to 51 bytes are read", () => {
  const header = emptyHeader();
  for (let length = 1; length <= 51; length++) {
    const mask = Array.from({ length }, (_, i) => (i === 0 ? 0xc0 : 0xff));
    assert.ok(decodePacket(packetWithMask(ST_STATE, mask), header), `mask of ${length} bytes`);
    assert.equal(header.selectiveAckOffset, HEADER_LENGTH + 2);
    assert.equal(header.selectiveAckLength, Math.min(length, 32));
    assert.equal(header.payloadOffset, HEADER_LENGTH + 2 + length);
  }
});

Deno.test("uTP: an empty selective-ack mask is no mask; one running past the end is malformed", () => {
  const header = emptyHeader();
  assert.ok(decodePacket(packetWithMask(ST_STATE, []), header));
  assert.equal(header.selectiveAckOffset, -1);
  const cut = packetWithMask(ST_STATE, [1, 2, 3, 4]).subarray(0, HEADER_LENGTH + 4);
  assert.equal(decodePacket(cut, header), false);
});
