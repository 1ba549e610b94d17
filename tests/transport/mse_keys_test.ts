import assert from "node:assert/strict";
import { createDiffieHellman } from "node:crypto";
import { InfoHash } from "../../src/metainfo/mod.ts";
import { ServedTorrents, TransportError } from "../../src/transport/mod.ts";
import {
  DH_KEY_LENGTH,
  newPrivateKey,
  publicKey,
  sharedSecret,
} from "../../src/transport/mse/dh.ts";
import {
  mseCiphers,
  provenReq2,
  req1Hash,
  req2Hash,
  torrentProof,
} from "../../src/transport/mse/keys.ts";

const PRIME_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";
const prime = BigInt(`0x${PRIME_HEX}`);

function bigToBytes(value: bigint): Uint8Array {
  return Uint8Array.from(
    value.toString(16).padStart(2 * DH_KEY_LENGTH, "0").match(/../g)!,
    (b) => parseInt(b, 16),
  );
}

const infoHash = InfoHash.fromHex("a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b");
const otherInfoHash = InfoHash.fromHex("0000000000000000000000000000000000000001");

Deno.test("DH: both sides compute the same 96-byte secret", () => {
  const a = newPrivateKey();
  const b = newPrivateKey();
  const s = sharedSecret(a, publicKey(b));
  assert.equal(s.length, DH_KEY_LENGTH);
  assert.deepEqual(s, sharedSecret(b, publicKey(a)));
  assert.notDeepEqual(s, sharedSecret(newPrivateKey(), publicKey(b)), "another key, another S");
});

Deno.test("DH: keys and secrets agree with node:crypto's DiffieHellman over the spec's prime", () => {
  const ours = newPrivateKey();
  const theirs = createDiffieHellman(Buffer.from(PRIME_HEX, "hex"), 2);
  theirs.setPrivateKey(Buffer.from(ours));
  assert.deepEqual(publicKey(ours), leftPad(theirs.generateKeys()));
  const peer = createDiffieHellman(Buffer.from(PRIME_HEX, "hex"), 2);
  const peerKey = leftPad(peer.generateKeys());
  assert.deepEqual(sharedSecret(ours, peerKey), leftPad(peer.computeSecret(publicKey(ours))));
});

Deno.test("DH: a public key whose top byte is zero keeps all 96 bytes", () => {
  let privateKey = newPrivateKey();
  while (publicKey(privateKey)[0] !== 0) privateKey = newPrivateKey();
  const key = publicKey(privateKey);
  assert.equal(key.length, DH_KEY_LENGTH);
  const other = newPrivateKey();
  assert.deepEqual(sharedSecret(other, key), sharedSecret(privateKey, publicKey(other)));
});

Deno.test("DH: the private key 1 gives the generator, 2", () => {
  const one = new Uint8Array(20);
  one[19] = 1;
  assert.deepEqual(publicKey(one), bigToBytes(2n));
});

const badKeys: [string, Uint8Array][] = [
  ["zero", new Uint8Array(DH_KEY_LENGTH)],
  ["one", bigToBytes(1n)],
  ["P - 1", bigToBytes(prime - 1n)],
  ["P", bigToBytes(prime)],
  ["all ones (above P)", new Uint8Array(DH_KEY_LENGTH).fill(0xff)],
  ["95 bytes", new Uint8Array(95).fill(7)],
];
for (const [name, key] of badKeys) {
  Deno.test(`DH: a peer key that is ${name} is refused`, () => {
    assert.throws(() => sharedSecret(newPrivateKey(), key), TransportError);
  });
}

Deno.test("DH: the largest and smallest keys in range are taken", () => {
  sharedSecret(newPrivateKey(), bigToBytes(2n));
  sharedSecret(newPrivateKey(), bigToBytes(prime - 2n));
});

Deno.test("keys: the receiver recovers HASH('req2', SKEY) from the initiator's proof", () => {
  const secret = sharedSecret(newPrivateKey(), publicKey(newPrivateKey()));
  const proof = torrentProof(secret, infoHash);
  assert.deepEqual(provenReq2(secret, proof), req2Hash(infoHash));
  assert.notDeepEqual(proof, req2Hash(infoHash), "the proof hides the torrent");
  const otherSecret = sharedSecret(newPrivateKey(), publicKey(newPrivateKey()));
  assert.notDeepEqual(provenReq2(otherSecret, proof), req2Hash(infoHash));
});

Deno.test("keys: each hash is SHA-1 of its label and parts, 20 bytes", async () => {
  const secret = sharedSecret(newPrivateKey(), publicKey(newPrivateKey()));
  const sha1 = async (...parts: Uint8Array[]) => {
    const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    parts.reduce((at, part) => (joined.set(part, at), at + part.length), 0);
    return new Uint8Array(await crypto.subtle.digest("SHA-1", joined));
  };
  const text = (label: string) => new TextEncoder().encode(label);
  assert.deepEqual(req1Hash(secret), await sha1(text("req1"), secret));
  assert.deepEqual(req2Hash(infoHash), await sha1(text("req2"), infoHash.bytes));
});

Deno.test("keys: what one side encrypts the other decrypts, in both directions", () => {
  const secret = sharedSecret(newPrivateKey(), publicKey(newPrivateKey()));
  const a = mseCiphers(secret, infoHash, "initiator");
  const b = mseCiphers(secret, infoHash, "receiver");
  const message = new TextEncoder().encode("\x13BitTorrent protocol");
  for (const [from, to] of [[a, b], [b, a]]) {
    const bytes = message.slice();
    from.encrypt.crypt(bytes);
    assert.notDeepEqual(bytes, message);
    to.decrypt.crypt(bytes);
    assert.deepEqual(bytes, message);
  }
  const wrongTorrent = mseCiphers(secret, otherInfoHash, "receiver");
  const bytes = message.slice();
  a.encrypt.crypt(bytes);
  wrongTorrent.decrypt.crypt(bytes);
  assert.notDeepEqual(bytes, message, "the keys depend on the torrent");
});

Deno.test("served torrents: found by their req2 hash until deleted", () => {
  const served = new ServedTorrents();
  served.add(infoHash);
  served.add(otherInfoHash);
  assert.ok(served.find(req2Hash(infoHash))?.equals(infoHash));
  assert.ok(served.find(req2Hash(otherInfoHash))?.equals(otherInfoHash));
  assert.equal(served.find(infoHash.bytes), undefined, "the info hash itself is no key");
  served.delete(infoHash);
  assert.equal(served.find(req2Hash(infoHash)), undefined);
  assert.ok(served.find(req2Hash(otherInfoHash))?.equals(otherInfoHash));
});

function leftPad(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(DH_KEY_LENGTH);
  padded.set(bytes, DH_KEY_LENGTH - bytes.length);
  return padded;
}
