import assert from "node:assert/strict";
import { Rc4 } from "../../src/transport/mse/rc4.ts";

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** RFC 6229 §2: keystream at offsets, for keys 0x01 0x02 ... of 40, 128 and 256 bits. */
const rfc6229: [key: string, offset: number, keystream: string][] = [
  ["0102030405", 0, "b2396305f03dc027ccc3524a0a1118a8"],
  ["0102030405", 16, "6982944f18fc82d589c403a47a0d0919"],
  ["0102030405", 240, "28cb1132c96ce286421dcaadb8b69eae"],
  ["0102030405", 1008, "45129048e6a0ed0b56b490338f078da5"],
  ["0102030405", 1024, "30abbcc7c20b01609f23ee2d5f6bb7df"],
  ["0102030405", 4096, "ff25b58995996707e51fbdf08b34d875"],
  ["0102030405060708090a0b0c0d0e0f10", 0, "9ac7cc9a609d1ef7b2932899cde41b97"],
  ["0102030405060708090a0b0c0d0e0f10", 1024, "bdf0324e6083dcc6d3cedd3ca8c53c16"],
  ["0102030405060708090a0b0c0d0e0f10", 4080, "ff38265c1642c1abe8d3c2fe5e572bf8"],
  [
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
    0,
    "eaa6bd25880bf93d3f5d1e4ca2611d91",
  ],
  [
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
    1024,
    "7fec5bfd9f9b89ce6548309092d7e958",
  ],
];

for (const [key, offset, keystream] of rfc6229) {
  Deno.test(`RC4 matches RFC 6229 for a ${key.length * 4}-bit key at offset ${offset}`, () => {
    const zeros = new Uint8Array(offset + 16);
    new Rc4(fromHex(key)).crypt(zeros);
    assert.equal(toHex(zeros.subarray(offset)), keystream);
  });

  Deno.test(`RC4 discards up to offset ${offset} of a ${key.length * 4}-bit key's keystream`, () => {
    const cipher = new Rc4(fromHex(key));
    cipher.discard(offset);
    const block = new Uint8Array(16);
    cipher.crypt(block);
    assert.equal(toHex(block), keystream);
  });
}

Deno.test('RC4 encrypts "Plaintext" under "Key" to BBF316E8D940AF0AD3', () => {
  const text = new TextEncoder();
  const input = text.encode("Plaintext");
  const output = new Uint8Array(input.length);
  new Rc4(text.encode("Key")).crypt(input, output);
  assert.equal(toHex(output), "bbf316e8d940af0ad3");
  assert.equal(toHex(input), toHex(text.encode("Plaintext")), "input untouched");
});

Deno.test("RC4 gives the same stream in chunks of any size, and decrypts what it encrypted", () => {
  const key = fromHex("0102030405060708090a0b0c0d0e0f10");
  const data = crypto.getRandomValues(new Uint8Array(10_000));
  const whole = data.slice();
  new Rc4(key).crypt(whole);
  const chunked = data.slice();
  const cipher = new Rc4(key);
  for (let at = 0, size = 1; at < chunked.length; at += size, size = (size * 7) % 1500 + 1) {
    cipher.crypt(chunked.subarray(at, at + size));
  }
  assert.deepEqual(chunked, whole);
  new Rc4(key).crypt(whole);
  assert.deepEqual(whole, data);
});

Deno.test("RC4 refuses an empty key and one longer than 256 bytes", () => {
  assert.throws(() => new Rc4(new Uint8Array(0)), RangeError);
  assert.throws(() => new Rc4(new Uint8Array(257)), RangeError);
  new Rc4(new Uint8Array(256));
});
