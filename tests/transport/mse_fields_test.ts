import assert from "node:assert/strict";
import { InfoHash } from "../../src/metainfo/mod.ts";
import { type MseMethod, TransportError } from "../../src/transport/mod.ts";
import { newPrivateKey, publicKey, sharedSecret } from "../../src/transport/mse/dh.ts";
import {
  chooseMethod,
  encodeReply,
  encodeRequest,
  encryptedVc,
  keyMessage,
  MAX_INITIAL_PAYLOAD_LENGTH,
  MAX_PAD_LENGTH,
  parseInitialPayloadLength,
  parseReplyHead,
  parseRequestHead,
  REPLY_HEAD_LENGTH,
  REQUEST_HEAD_LENGTH,
  VC_LENGTH,
} from "../../src/transport/mse/fields.ts";
import { mseCiphers, provenReq2, req1Hash, req2Hash } from "../../src/transport/mse/keys.ts";

const infoHash = InfoHash.fromHex("a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b");
const secret = sharedSecret(newPrivateKey(), publicKey(newPrivateKey()));

/** VC, crypto_provide or crypto_select, and a length, as a peer would send them decrypted. */
function head(vc: number[], bits: number, length: number): Uint8Array {
  const bytes = new Uint8Array(vc.length + 6);
  bytes.set(vc);
  const view = new DataView(bytes.buffer);
  view.setUint32(vc.length, bits);
  view.setUint16(vc.length + 4, length);
  return bytes;
}
const zeroVc = new Array(VC_LENGTH).fill(0);

Deno.test("a key message is the key and 0 to 512 bytes of padding, of varying length", () => {
  const key = publicKey(newPrivateKey());
  const lengths = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const message = keyMessage(key);
    assert.deepEqual(message.subarray(0, key.length), key);
    assert.ok(message.length - key.length <= MAX_PAD_LENGTH);
    lengths.add(message.length);
  }
  assert.ok(lengths.size > 10, "the padding's length is random");
});

Deno.test("a request is the two hashes in the clear, then VC, provide, PadC and IA encrypted", () => {
  const initialPayload = new TextEncoder().encode("\x13BitTorrent protocol...");
  const a = mseCiphers(secret, infoHash, "initiator");
  const request = encodeRequest(
    { secret, infoHash, provide: ["rc4", "plaintext"], initialPayload },
    a.encrypt,
  );
  assert.deepEqual(request.subarray(0, 20), req1Hash(secret));
  assert.deepEqual(provenReq2(secret, request.subarray(20, 40)), req2Hash(infoHash));
  const b = mseCiphers(secret, infoHash, "receiver");
  const rest = request.slice(40);
  b.decrypt.crypt(rest);
  assert.deepEqual(parseRequestHead(rest.subarray(0, REQUEST_HEAD_LENGTH)), {
    provided: 0x03,
    padLength: 0,
  });
  const iaAt = REQUEST_HEAD_LENGTH + 2;
  assert.equal(parseInitialPayloadLength(rest.subarray(REQUEST_HEAD_LENGTH, iaAt)), 23);
  assert.deepEqual(rest.subarray(iaAt), initialPayload);
});

Deno.test("a request refuses an IA longer than its two-byte length field", () => {
  const { encrypt } = mseCiphers(secret, infoHash, "initiator");
  const initialPayload = new Uint8Array(0x10000);
  assert.throws(
    () => encodeRequest({ secret, infoHash, provide: ["rc4"], initialPayload }, encrypt),
    RangeError,
  );
});

Deno.test("a reply is VC, crypto_select and an empty PadD, found by the initiator's ENCRYPT(VC)", () => {
  const b = mseCiphers(secret, infoHash, "receiver");
  const reply = encodeReply("plaintext", b.encrypt);
  assert.equal(reply.length, VC_LENGTH + REPLY_HEAD_LENGTH);
  const a = mseCiphers(secret, infoHash, "initiator");
  assert.deepEqual(reply.subarray(0, VC_LENGTH), encryptedVc(a.decrypt));
  const rest = reply.slice(VC_LENGTH);
  a.decrypt.crypt(rest);
  assert.deepEqual(parseReplyHead(rest, ["rc4", "plaintext"]), {
    method: "plaintext",
    padLength: 0,
  });
});

const requestHeads: [string, Uint8Array, string | { provided: number; padLength: number }][] = [
  ["a zero VC and 512 bytes of PadC", head(zeroVc, 0x02, 512), { provided: 2, padLength: 512 }],
  ["reserved provide bits kept", head(zeroVc, 0xff03, 0), { provided: 0xff03, padLength: 0 }],
  ["a VC with one bit set", head([0, 0, 0, 0, 0, 0, 0, 1], 0x02, 0), "verification constant"],
  ["PadC of 513 bytes", head(zeroVc, 0x02, 513), "PadC is 513 bytes"],
  ["PadC of 65535 bytes", head(zeroVc, 0x02, 0xffff), "PadC is 65535 bytes"],
];
for (const [name, bytes, expected] of requestHeads) {
  Deno.test(`request head: ${name}`, () => {
    if (typeof expected === "string") {
      assert.throws(() => parseRequestHead(bytes), errorSaying(expected));
    } else {
      assert.deepEqual(parseRequestHead(bytes), expected);
    }
  });
}

Deno.test("IA lengths up to the cap are taken, beyond it refused", () => {
  const field = (length: number) => Uint8Array.of(length >> 8, length & 0xff);
  assert.equal(parseInitialPayloadLength(field(0)), 0);
  assert.equal(parseInitialPayloadLength(field(68)), 68);
  assert.equal(parseInitialPayloadLength(field(MAX_INITIAL_PAYLOAD_LENGTH)), 16384);
  assert.throws(
    () => parseInitialPayloadLength(field(MAX_INITIAL_PAYLOAD_LENGTH + 1)),
    errorSaying("initial payload is 16385 bytes"),
  );
});

const choices: [string, number, MseMethod[], MseMethod | undefined][] = [
  ["both offered, RC4 preferred", 0x03, ["rc4", "plaintext"], "rc4"],
  ["both offered, plaintext preferred", 0x03, ["plaintext", "rc4"], "plaintext"],
  ["RC4 only offered, plaintext preferred", 0x02, ["plaintext", "rc4"], "rc4"],
  ["plaintext only offered, RC4 required", 0x01, ["rc4"], undefined],
  ["nothing offered", 0x00, ["rc4", "plaintext"], undefined],
  ["only reserved bits offered", 0xfffc, ["rc4", "plaintext"], undefined],
  ["reserved bits beside RC4", 0xf002, ["rc4"], "rc4"],
];
for (const [name, provided, accept, expected] of choices) {
  Deno.test(`choosing a method: ${name}`, () => {
    if (expected === undefined) {
      assert.throws(() => chooseMethod(provided, accept), errorSaying("no encryption method"));
    } else {
      assert.equal(chooseMethod(provided, accept), expected);
    }
  });
}

const replyHeads: [string, Uint8Array, MseMethod[], string | MseMethod][] = [
  ["RC4, offered", head([], 0x02, 0), ["rc4"], "rc4"],
  ["plaintext, offered with RC4", head([], 0x01, 0), ["rc4", "plaintext"], "plaintext"],
  ["RC4 beside reserved bits", head([], 0x80000002, 0), ["rc4"], "rc4"],
  ["plaintext when we offered RC4 only", head([], 0x01, 0), ["rc4"], "did not offer"],
  ["both methods at once", head([], 0x03, 0), ["rc4", "plaintext"], "did not offer"],
  ["no method", head([], 0x00, 0), ["rc4", "plaintext"], "did not offer"],
  ["PadD of 513 bytes", head([], 0x02, 513), ["rc4"], "PadD is 513 bytes"],
];
for (const [name, bytes, offered, expected] of replyHeads) {
  Deno.test(`reply head: ${name}`, () => {
    if (expected === "rc4" || expected === "plaintext") {
      assert.deepEqual(parseReplyHead(bytes, offered), { method: expected, padLength: 0 });
    } else {
      assert.throws(() => parseReplyHead(bytes, offered), errorSaying(expected));
    }
  });
}

function errorSaying(words: string): (error: unknown) => boolean {
  return (error) => error instanceof TransportError && error.message.includes(words);
}
