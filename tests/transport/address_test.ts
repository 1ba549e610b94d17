import assert from "node:assert/strict";
import { compactPeer, ipv4Number, parseIpv4, unmapIpv4 } from "../../src/transport/mod.ts";
import {
  binaryStringToBytes,
  bytesToBinaryString,
  compactPeerString,
} from "../../src/tracker/binary_string.ts";

Deno.test("parseIpv4 reads four dotted parts of one to three digits, each at most 255", () => {
  assert.deepEqual(parseIpv4("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
  assert.deepEqual(parseIpv4("255.255.255.255"), new Uint8Array([255, 255, 255, 255]));
  assert.deepEqual(parseIpv4("0.0.0.0"), new Uint8Array([0, 0, 0, 0]));
  // Leading zeros are digits like any other (as before: three at most).
  assert.deepEqual(parseIpv4("010.001.000.009"), new Uint8Array([10, 1, 0, 9]));
});

Deno.test("parseIpv4 refuses everything else", () => {
  for (
    const text of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "1.2.3.256",
      "1..2.3",
      ".1.2.3",
      "1.2.3.",
      "0001.2.3.4",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.-4",
      "1.2.3.4a",
      "\u0661.2.3.4", // an Arabic-Indic digit one
      "::1",
      "::ffff:1.2.3.4",
      "localhost",
    ]
  ) {
    assert.deepEqual(parseIpv4(text), null, text);
  }
});

Deno.test("compactPeer packs IPv4 and IPv6 peers and refuses names", () => {
  assert.deepEqual(compactPeer("127.0.0.1", 6881), new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]));
  assert.deepEqual(compactPeer("::1", 1)?.length, 18);
  assert.deepEqual(compactPeer("example.org", 1), null);
});

Deno.test("unmapIpv4 unmaps IPv4-mapped addresses in either case and leaves others alone", () => {
  assert.deepEqual(unmapIpv4("::ffff:10.0.0.1"), "10.0.0.1");
  assert.deepEqual(unmapIpv4("::FFFF:10.0.0.1"), "10.0.0.1");
  assert.deepEqual(unmapIpv4("10.0.0.1"), "10.0.0.1");
  assert.deepEqual(unmapIpv4("::1"), "::1");
  assert.deepEqual(unmapIpv4("::ffff:a00:1"), "::ffff:a00:1");
  assert.deepEqual(unmapIpv4("fe80::ffff:10.0.0.1"), "fe80::ffff:10.0.0.1");
});

Deno.test("binary strings hold every byte value, also beyond one conversion chunk", () => {
  const bytes = new Uint8Array(20_000).map((_, i) => (i * 7) & 0xff);
  const text = bytesToBinaryString(bytes);
  assert.deepEqual(text.length, bytes.length);
  assert.deepEqual(text.charCodeAt(19_999), bytes[19_999]);
  assert.deepEqual(binaryStringToBytes(text), bytes);
  assert.deepEqual(bytesToBinaryString(new Uint8Array([0x41, 0xff, 0])), "A\xff\0");
  assert.deepEqual(bytesToBinaryString(new Uint8Array(0)), "");
});

Deno.test("ipv4Number reads an address as a 32-bit number, -1 for anything else", () => {
  assert.equal(ipv4Number("127.0.0.1"), 0x7f000001);
  assert.equal(ipv4Number("255.255.255.255"), 0xffffffff);
  assert.equal(ipv4Number("0.0.0.0"), 0);
  assert.equal(ipv4Number("1.2.3"), -1);
  assert.equal(ipv4Number("::1"), -1);
});

Deno.test("compactPeerString is the compact form as a binary string, for both families", () => {
  assert.equal(compactPeerString("127.0.0.1", 6881), "\x7f\0\0\x01\x1a\xe1");
  assert.equal(compactPeerString("10.0.0.255", 65535), "\x0a\0\0\xff\xff\xff");
  assert.equal(compactPeerString("::1", 1), bytesToBinaryString(compactPeer("::1", 1)!));
  assert.equal(compactPeerString("example.org", 1), null);
});
