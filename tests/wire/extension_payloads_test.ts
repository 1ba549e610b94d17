/** The payloads of ut_metadata (BEP 9) and ut_pex (BEP 11): round trips and hostile input. */
import assert from "node:assert/strict";
import { encode } from "../../src/bencode/mod.ts";
import {
  decodeMetadataMessage,
  decodePex,
  encodeMetadataMessage,
  encodePex,
  PexFlag,
  WireError,
} from "../../src/wire/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);

Deno.test("ut_metadata: request, data and reject round-trip; data follows the dictionary", () => {
  for (const message of [{ type: "request", piece: 0 }, { type: "reject", piece: 7 }] as const) {
    assert.deepEqual(decodeMetadataMessage(encodeMetadataMessage(message)), message);
  }
  const data = {
    type: "data",
    piece: 2,
    totalSize: 40000,
    data: new Uint8Array([1, 2, 3]),
  } as const;
  const bytes = encodeMetadataMessage(data);
  assert.equal(
    new TextDecoder().decode(bytes.subarray(0, bytes.length - 3)),
    "d8:msg_typei1e5:piecei2e10:total_sizei40000ee",
  );
  assert.deepEqual(decodeMetadataMessage(bytes), data);
});

Deno.test("ut_metadata: an unknown msg_type is reported, not refused (BEP 9 says ignore it)", () => {
  assert.deepEqual(decodeMetadataMessage(encode({ msg_type: 9, piece: 0 })), {
    type: "unknown",
    msgType: 9,
  });
});

Deno.test("ut_metadata: malformed messages are refused with a reason", () => {
  const cases: [Uint8Array, RegExp][] = [
    [text("d8:msg_type"), /not bencoded/],
    [text("li1ee"), /not a dictionary/],
    [encode({ piece: 0 }), /no msg_type/],
    [encode({ msg_type: -1, piece: 0 }), /no msg_type/],
    [encode({ msg_type: 0 }), /no valid piece/],
    [encode({ msg_type: 0, piece: -3 }), /no valid piece/],
    [encode({ msg_type: 0, piece: 2 ** 40 }), /no valid piece/],
    [encode({ msg_type: 0, piece: "x" }), /no valid piece/],
    [new Uint8Array([...encode({ msg_type: 2, piece: 0 }), 1]), /carries data/],
    [encode({ msg_type: 1, piece: 0 }), /total_size/],
    [encode({ msg_type: 1, piece: 0, total_size: 0 }), /total_size/],
  ];
  for (const [payload, reason] of cases) {
    assert.throws(() => decodeMetadataMessage(payload), (error: Error) => {
      assert.ok(error instanceof WireError);
      assert.match(error.message, reason);
      return true;
    });
  }
});

Deno.test("ut_pex: added with flags and dropped, IPv4 and IPv6, round-trip", () => {
  const message = {
    added: [
      { ip: "10.0.0.1", port: 6881, flags: PexFlag.seed | PexFlag.reachable },
      { ip: "2001:db8::1", port: 51413, flags: PexFlag.encryption },
      { ip: "10.0.0.2", port: 6882, flags: 0 },
    ],
    dropped: [{ ip: "192.168.1.9", port: 1 }, { ip: "::1", port: 2 }],
  };
  const decoded = decodePex(encodePex(message), 50);
  assert.deepEqual(decoded.added, [message.added[0], message.added[2], message.added[1]]);
  assert.deepEqual(decoded.dropped, message.dropped);
});

Deno.test("ut_pex: lists are cut to the limit before parsing; port 0, missing flags and absent keys are harmless", () => {
  const thousands = new Uint8Array(6 * 10_000).fill(1);
  const decoded = decodePex(encode({ added: thousands, "added.f": new Uint8Array(1) }), 50);
  assert.equal(decoded.added.length, 50);
  assert.equal(decoded.added[1].flags, 0, "flags past the flags string are none");
  const zeroPort = encode({ added: new Uint8Array([10, 0, 0, 1, 0, 0]) });
  assert.deepEqual(decodePex(zeroPort, 50), { added: [], dropped: [] });
  assert.deepEqual(decodePex(encode({}), 50), { added: [], dropped: [] });
});

Deno.test("ut_pex: malformed messages are refused with a reason", () => {
  const cases: [Uint8Array, RegExp][] = [
    [text("d5:added"), /not bencoded/],
    [text("i1e"), /not a dictionary/],
    [encode({ added: new Uint8Array(7) }), /added is not a list of compact peers/],
    [encode({ added6: new Uint8Array(6) }), /added6 is not/],
    [encode({ dropped: 5 }), /dropped is not/],
  ];
  for (const [payload, reason] of cases) {
    assert.throws(() => decodePex(payload, 50), (error: Error) => {
      assert.ok(error instanceof WireError);
      assert.match(error.message, reason);
      return true;
    });
  }
});
