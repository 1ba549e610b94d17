import assert from "node:assert/strict";
import { describePeerId, generatePeerId } from "../../src/wire/mod.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("describePeerId names the client of Azureus-style ids, ours too, and survives garbage", () => {
  assert.equal(describePeerId(bytes("-TR3000-abcdefghijkl")), "-TR3000- (Transmission 3.00)");
  assert.equal(describePeerId(bytes("-qB4250-abcdefghijkl")), "-qB4250- (qBittorrent 4.2.5)");
  assert.equal(describePeerId(generatePeerId("0.1.0")), "-P20100- (p2p)");
  // aria2's own form is not one bittorrent-peerid reads: the printable id stands alone.
  assert.equal(describePeerId(bytes("A2-1-37-0-abcdefghij")), "A2-1-37-0-abcdefghij");
  const binary = new Uint8Array(20).map((_, i) => i * 13);
  assert.equal(
    describePeerId(binary),
    [...binary].map((b) => b.toString(16).padStart(2, "0")).join(""),
  );
  assert.equal(describePeerId(new Uint8Array([0xff, 0x00])), "ff00");
});
