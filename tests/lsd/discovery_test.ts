import assert from "node:assert/strict";
import {
  encodeLsdAnnounce,
  LocalDiscovery,
  LSD_ANNOUNCE_INTERVAL_MS,
  LSD_MIN_GAP_MS,
  LsdError,
  type LsdSockets,
  MAX_LSD_INFO_HASHES,
  parseLsdAnnounce,
} from "../../src/lsd/mod.ts";
import { InfoHash } from "../../src/metainfo/mod.ts";
import type { Endpoint } from "../../src/transport/mod.ts";
import { settle } from "../engine/engine_helpers.ts";
import { ManualClock } from "../engine/manual_clock.ts";

const hash = (n: number) => InfoHash.fromHex(n.toString(16).padStart(40, "0"));
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("lsd: BEP 14's announce round-trips, with several info hashes and a cookie", () => {
  const announce = { port: 6881, infoHashes: [hash(1), hash(2)], cookie: "abc" };
  const bytes = encodeLsdAnnounce("239.192.152.143:6771", announce);
  assert.equal(
    new TextDecoder().decode(bytes),
    "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
      `Infohash: ${hash(1).hex}\r\nInfohash: ${hash(2).hex}\r\ncookie: abc\r\n\r\n\r\n`,
  );
  const parsed = parseLsdAnnounce(bytes);
  assert.deepEqual(
    { ...parsed, infoHashes: parsed.infoHashes.map((h) => h.hex) },
    { ...announce, infoHashes: announce.infoHashes.map((h) => h.hex) },
  );
  // Header names in any case and unknown headers, as HTTP has them; LF alone too.
  const loose = parseLsdAnnounce(
    text(
      `BT-SEARCH * HTTP/1.1\nHOST: x\nX-Other: 1\nport: 1\nINFOHASH: ${
        hash(3).hex.toUpperCase()
      }\n\n`,
    ),
  );
  assert.equal(loose.port, 1);
  assert.equal(loose.infoHashes[0].hex, hash(3).hex);
});

const BAD: [string, string][] = [
  ["another request", `M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${"a".repeat(40)}\r\n\r\n`],
  ["no port", `BT-SEARCH * HTTP/1.1\r\nInfohash: ${"a".repeat(40)}\r\n\r\n`],
  ["port 0", `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${"a".repeat(40)}\r\n\r\n`],
  ["port 70000", `BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ${"a".repeat(40)}\r\n\r\n`],
  ["no info hash", `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n`],
  ["a short info hash", `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: abc\r\n\r\n`],
  ["a header without a colon", `BT-SEARCH * HTTP/1.1\r\nPort 1\r\n\r\n`],
  [
    "too many info hashes",
    `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n${
      `Infohash: ${"a".repeat(40)}\r\n`.repeat(MAX_LSD_INFO_HASHES + 1)
    }\r\n`,
  ],
  ["an oversized datagram", `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nX: ${"y".repeat(1500)}\r\n\r\n`],
];
for (const [name, datagram] of BAD) {
  Deno.test(`lsd: refuses ${name}`, () => {
    assert.throws(() => parseLsdAnnounce(text(datagram)), LsdError);
  });
}

/** Sockets that keep what is sent, and let the test deliver datagrams. */
function fakeSockets() {
  const sent: string[] = [];
  let deliver: (bytes: Uint8Array, from: Endpoint) => void = () => {};
  let closed = false;
  const sockets: LsdSockets = {
    send: (encode) => void sent.push(new TextDecoder().decode(encode("239.192.152.143:6771"))),
    receive: (handler) => void (deliver = handler),
    close: () => void (closed = true),
  };
  return {
    sockets,
    sent,
    deliver: (b: Uint8Array, f: Endpoint) => deliver(b, f),
    closed: () => closed,
  };
}

Deno.test("lsd: at most one announce a minute, each torrent every five, many torrents in one", async () => {
  const clock = new ManualClock();
  const fake = fakeSockets();
  const discovery = new LocalDiscovery({ clock, open: () => Promise.resolve(fake.sockets) });
  const leave = [discovery.register(hash(1), 6881, () => {})];
  await settle();
  assert.equal(fake.sent.length, 1, "the first goes out at once");
  for (let i = 2; i <= 30; i++) leave.push(discovery.register(hash(i), 6881, () => {}));
  await settle();
  assert.equal(fake.sent.length, 1, "no second announce within the minute");
  clock.advance(LSD_MIN_GAP_MS);
  await settle();
  assert.equal(fake.sent.length, 2);
  assert.equal(fake.sent[1].match(/Infohash:/g)!.length, MAX_LSD_INFO_HASHES);
  clock.advance(LSD_MIN_GAP_MS);
  await settle();
  assert.equal(fake.sent[2].match(/Infohash:/g)!.length, 29 - MAX_LSD_INFO_HASHES);
  // Everyone announced: the next is five minutes after each torrent's last.
  clock.advance(LSD_MIN_GAP_MS);
  await settle();
  assert.equal(fake.sent.length, 3);
  clock.advance(LSD_ANNOUNCE_INTERVAL_MS - 3 * LSD_MIN_GAP_MS);
  await settle();
  assert.equal(fake.sent.length, 4);
  assert.match(fake.sent[3], new RegExp(`Infohash: ${hash(1).hex}`));
  assert.equal(
    fake.sent.reduce((n, s) => n + s.match(/Infohash:/g)!.length, 0),
    31,
    "each torrent once per five minutes, the first twice",
  );
  for (const done of leave) done();
  await settle();
  assert.ok(fake.closed(), "the sockets close with the last torrent");
});

Deno.test("lsd: announces heard reach their torrent, ours and garbage are ignored", async () => {
  const clock = new ManualClock();
  const fake = fakeSockets();
  const discovery = new LocalDiscovery({ clock, open: () => Promise.resolve(fake.sockets) });
  const found: Endpoint[] = [];
  const leave = discovery.register(hash(1), 6881, (peer) => found.push(peer));
  await settle();
  const from = { ip: "::ffff:10.0.0.7", port: 6771 };
  fake.deliver(encodeLsdAnnounce("h", { port: 5000, infoHashes: [hash(9), hash(1)] }), from);
  fake.deliver(
    encodeLsdAnnounce("h", { port: 5001, infoHashes: [hash(1)], cookie: discovery.cookie }),
    from,
  );
  fake.deliver(encodeLsdAnnounce("h", { port: 5002, infoHashes: [hash(2)] }), from);
  fake.deliver(text("garbage"), from);
  assert.deepEqual(found, [{ ip: "10.0.0.7", port: 5000 }]);
  assert.equal(discovery.counters.refused, 1);
  leave();
});
