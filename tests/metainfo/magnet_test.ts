import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fc } from "../../scripts/fuzz/fast_check.ts";
import {
  createMetainfo,
  formatMagnet,
  InfoHash,
  type MagnetLink,
  magnetOf,
  MAX_MAGNET_LENGTH,
  MAX_MAGNET_TRACKERS,
  MAX_SELECTED_FILES,
  MetainfoError,
  parseMagnet,
  parseMetainfo,
} from "../../src/metainfo/mod.ts";
import { pieceHashesOf, testBytes } from "../helpers.ts";

const HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
const BASE32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
const OTHER_HEX = "a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b";
const XT = `xt=urn:btih:${HEX}`;

/** RFC 4648 base32, written here bit by bit so the parser's decoder is checked against it. */
function base32Of(hex: string): string {
  const bits = [...hex].map((digit) => parseInt(digit, 16).toString(2).padStart(4, "0")).join("");
  let text = "";
  for (let i = 0; i < bits.length; i += 5) {
    text += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  }
  return text;
}

/** A link as plain data, for deepEqual. */
function plain(link: MagnetLink) {
  return { ...link, infoHash: link.infoHash.hex };
}

Deno.test("base32 of the known vector, computed here, is the one the parser reads", () => {
  assert.equal(base32Of(HEX), BASE32);
  const other = createHash("sha1").update("p2p").digest("hex");
  assert.equal(parseMagnet(`magnet:?xt=urn:btih:${base32Of(other)}`).infoHash.hex, other);
});

Deno.test("parseMagnet reads every field", () => {
  const link = parseMagnet(
    `magnet:?${XT}&dn=The+Book%20%C3%A9d.+1%2B1` +
      "&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" +
      "&tr=udp://tracker.example:1337" +
      "&tr.1=https%3A%2F%2Ft.example%2Fa%3Fk%3Dv%2Bw" +
      "&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" + // the first again: once
      "&x.pe=127.0.0.1:6881&x.pe=%5B::1%5D:51413&x.pe=[2001:DB8:0:0::1]:6882" +
      "&x.pe=peer.example:6881" + // a host name: skipped, never looked up
      "&x.pe=127.0.0.1:6881" +
      "&ws=http%3A%2F%2F127.0.0.1%3A8080%2Fdata&ws=https://seed.example/d" +
      "&so=0,2,4-6&so=5-7" +
      "&xl=1234&kt=some+words&x.unknown=%zz", // unknown ones are not even decoded
  );
  assert.deepEqual(plain(link), {
    infoHash: HEX,
    name: "The Book éd. 1+1",
    trackerTiers: [
      ["http://127.0.0.1:6969/announce"],
      ["udp://tracker.example:1337"],
      ["https://t.example/a?k=v+w"],
    ],
    peers: [
      { ip: "127.0.0.1", port: 6881 },
      { ip: "::1", port: 51413 },
      { ip: "2001:db8::1", port: 6882 },
    ],
    webSeeds: ["http://127.0.0.1:8080/data", "https://seed.example/d"],
    selectOnly: [0, 2, 4, 5, 6, 7],
  });
});

Deno.test("parseMagnet: hex and base32 in either case, keys in either case, v2 beside v1 ignored", () => {
  for (
    const text of [
      `magnet:?xt=urn:btih:${HEX.toUpperCase()}`,
      `magnet:?xt=urn:btih:${BASE32}`,
      `magnet:?xt=urn:btih:${BASE32.toLowerCase()}`,
      `MAGNET:?XT=URN:BTIH:${HEX}`,
      `magnet:?xt=urn:btmh:1220${"ab".repeat(32)}&xt=urn:btih:${HEX}`,
      `magnet:?xt.1=urn:btih:${HEX}&xt.2=urn:btih:${BASE32}`, // the same torrent twice
      `magnet:?xt=urn:sha1:${BASE32}&xt=urn:btih:${HEX}`,
      `  magnet:?${XT}\n`,
    ]
  ) {
    assert.deepEqual(
      plain(parseMagnet(text)),
      { infoHash: HEX, trackerTiers: [], peers: [], webSeeds: [] },
      text,
    );
  }
});

Deno.test("parseMagnet takes a bare info hash as a link with nothing else", () => {
  for (const text of [HEX, HEX.toUpperCase(), BASE32, BASE32.toLowerCase()]) {
    assert.deepEqual(plain(parseMagnet(text)), {
      infoHash: HEX,
      trackerTiers: [],
      peers: [],
      webSeeds: [],
    });
  }
});

Deno.test("parseMagnet: an empty dn is no name, and the first name given wins", () => {
  assert.equal(parseMagnet(`magnet:?${XT}&dn=`).name, undefined);
  assert.equal(parseMagnet(`magnet:?${XT}&dn=&dn=b&dn=c`).name, "b");
  assert.equal("name" in parseMagnet(`magnet:?${XT}`), false);
});

const tooManyTrackers = Array.from(
  { length: MAX_MAGNET_TRACKERS + 1 },
  (_, i) => `tr=http://t${i}.example/a`,
).join("&");

/** [case, link, what the message must say] */
const bad: [string, string, RegExp][] = [
  ["an http URL", "http://example.com/x.torrent", /^not a magnet link .*"http:\/\/example/],
  ["a hash one digit short", HEX.slice(1), /^not a magnet link/],
  ["an empty string", "", /^not a magnet link/],
  ["a magnet link without a query", "magnet:xt=urn:btih:" + HEX, /^not a magnet link/],
  ["no xt", "magnet:?dn=x&tr=http://t.example/a", /has no xt=urn:btih/],
  ["no parameters at all", "magnet:?", /has no xt=urn:btih/],
  ["only another kind of xt", `magnet:?xt=urn:ed2k:${HEX}`, /no BitTorrent info hash/],
  [
    "only a v2 hash",
    `magnet:?xt=urn:btmh:1220${"ab".repeat(32)}&dn=x`,
    /^v2-only magnet links are not supported/,
  ],
  [
    "two different info hashes",
    `magnet:?${XT}&xt=urn:btih:${OTHER_HEX}`,
    new RegExp(`two different torrents: urn:btih:${HEX} and urn:btih:${OTHER_HEX}`),
  ],
  ["a 39-digit hash", `magnet:?xt=urn:btih:${HEX.slice(1)}`, /not 39: "/],
  ["a 41-digit hash", `magnet:?xt=urn:btih:${HEX}0`, /40 hex digits or 32 base32 .*not 41/],
  ["an empty hash", "magnet:?xt=urn:btih:", /not 0/],
  ["a hash with a non-hex digit", `magnet:?xt=urn:btih:${HEX.slice(1)}g`, /is not 40 hex digits/],
  ["base32 with a 1", `magnet:?xt=urn:btih:${BASE32.slice(1)}1`, /is not 32 base32 characters/],
  ["a bad percent escape", `magnet:?${XT}&dn=100%`, /^bad percent escape "%" in .*'s dn$/],
  ["a percent escape of non-hex", `magnet:?${XT}&tr=http%3A%2F%zz`, /bad percent escape "%zz"/],
  ["an escape that is not UTF-8", `magnet:?${XT}&dn=%C3`, /dn "%C3" is not UTF-8/],
  ["a lone surrogate", `magnet:?${XT}&dn=\ud800`, /not valid Unicode/],
  [
    "a tracker that is no URL",
    `magnet:?${XT}&tr=tracker.example`,
    /tracker "tracker\.example".* not a URL/,
  ],
  ["a tracker that is no URL", `magnet:?${XT}&tr=nothing`, /tracker "nothing"/],
  ["a tracker without a host", `magnet:?${XT}&tr=udp://`, /tracker "udp:\/\/"/],
  ["a tracker as http:host", `magnet:?${XT}&tr=http:t.example`, /tracker "http:t.example"/],
  ["an ftp web seed", `magnet:?${XT}&ws=ftp://s.example/d`, /web seed "ftp:.*not an http/],
  ["a peer without a port", `magnet:?${XT}&x.pe=127.0.0.1`, /peer "127\.0\.0\.1" \(x\.pe\)/],
  ["a peer on port 0", `magnet:?${XT}&x.pe=127.0.0.1:0`, /peer "127\.0\.0\.1:0"/],
  ["a peer on port 65536", `magnet:?${XT}&x.pe=127.0.0.1:65536`, /peer "127\.0\.0\.1:65536"/],
  ["a peer at 256.1.1.1", `magnet:?${XT}&x.pe=256.1.1.1:1`, /peer "256\.1\.1\.1:1"/],
  ["IPv6 without brackets", `magnet:?${XT}&x.pe=::1:6881`, /peer "::1:6881"/],
  ["a bad IPv6 address", `magnet:?${XT}&x.pe=[::g]:6881`, /peer "\[::g\]:6881"/],
  ["an IPv6 zone", `magnet:?${XT}&x.pe=[fe80::1%25eth0]:6881`, /peer "\[fe80::1%eth0\]:6881"/],
  ["a host name in brackets", `magnet:?${XT}&x.pe=[peer.example]:1`, /peer "\[peer\.example\]/],
  ["an empty so", `magnet:?${XT}&so=`, /so "" .*not a list of file indices/],
  ["a backwards range", `magnet:?${XT}&so=6-4`, /so "6-4"/],
  ["a negative index", `magnet:?${XT}&so=-1`, /so "-1"/],
  ["so with a trailing comma", `magnet:?${XT}&so=1,`, /so "1,"/],
  ["so with words", `magnet:?${XT}&so=all`, /so "all"/],
  [
    "so beyond the cap",
    `magnet:?${XT}&so=0-${MAX_SELECTED_FILES}`,
    new RegExp(`selects ${MAX_SELECTED_FILES + 1} files; at most ${MAX_SELECTED_FILES}`),
  ],
  ["a huge so range", `magnet:?${XT}&so=0-9999999999`, /selects 10000000000 files/],
  [
    "many ranges that add up beyond the cap",
    `magnet:?${XT}&so=${Array.from({ length: 20 }, (_, i) => `${i * 10000}-${i * 10000 + 9999}`)}`,
    /selects 200000 files/,
  ],
  [
    "one more tracker than the cap",
    `magnet:?${XT}&${tooManyTrackers}`,
    new RegExp(`names ${MAX_MAGNET_TRACKERS + 1} trackers \\(tr\\); at most`),
  ],
  [
    "thousands of trackers",
    `magnet:?${XT}${"&tr=http://t/a".repeat(3000)}`,
    /names 3000 trackers/,
  ],
  [
    "thousands of peers",
    `magnet:?${XT}${"&x.pe=127.0.0.1:1".repeat(3000)}`,
    /names 3000 peers \(x\.pe\)/,
  ],
  ["thousands of web seeds", `magnet:?${XT}${"&ws=http://s/".repeat(3000)}`, /3000 web seeds/],
  [
    "a link over 64 KiB",
    `magnet:?${XT}&dn=${"a".repeat(MAX_MAGNET_LENGTH)}`,
    /characters long; at most 65536 are read$/,
  ],
];

for (const [name, text, message] of bad) {
  Deno.test(`parseMagnet refuses ${name}`, () => {
    assert.throws(
      () => parseMagnet(text),
      (error: unknown) => {
        assert.ok(error instanceof MetainfoError, `not a MetainfoError: ${error}`);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/, "one line");
        assert.ok(error.message.length < 300, `a long message: ${error.message}`);
        return true;
      },
    );
  });
}

Deno.test("parseMagnet: a hostile so within the cap is read quickly", () => {
  const started = performance.now();
  const link = parseMagnet(`magnet:?${XT}&so=${"0-99999,".repeat(7000)}5`);
  assert.equal(link.selectOnly?.length, 100_000);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("formatMagnet writes lower-case hex, every tracker of every tier once, percent-encoded", () => {
  const text = formatMagnet({
    infoHash: InfoHash.fromHex(HEX.toUpperCase()),
    name: "a b&c=d+e%",
    trackerTiers: [["http://127.0.0.1:6969/announce", "udp://t.example:1"], [
      "http://127.0.0.1:6969/announce",
    ], ["https://t.example/a?k=v&x=y"]],
  });
  assert.equal(
    text,
    `magnet:?${XT}&dn=a%20b%26c%3Dd%2Be%25` +
      "&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr=udp%3A%2F%2Ft.example%3A1" +
      "&tr=https%3A%2F%2Ft.example%2Fa%3Fk%3Dv%26x%3Dy",
  );
  assert.deepEqual(parseMagnet(text).trackerTiers, [
    ["http://127.0.0.1:6969/announce"],
    ["udp://t.example:1"],
    ["https://t.example/a?k=v&x=y"],
  ]);
});

Deno.test("formatMagnet writes peers, web seeds and so as ranges", () => {
  const text = formatMagnet({
    infoHash: InfoHash.fromHex(HEX),
    trackerTiers: [],
    peers: [{ ip: "127.0.0.1", port: 6881 }, { ip: "::1", port: 1 }],
    webSeeds: ["http://s.example/d"],
    selectOnly: [7, 0, 2, 4, 5, 6, 2],
  });
  assert.equal(
    text,
    `magnet:?${XT}&x.pe=127.0.0.1:6881&x.pe=[::1]:1` +
      "&ws=http%3A%2F%2Fs.example%2Fd&so=0,2,4-7",
  );
});

Deno.test("parse(format(link)) is the link, for links written here and for random ones", () => {
  const links = [
    `magnet:?${XT}`,
    `magnet:?xt=urn:btih:${BASE32}&dn=%E9%9F%B3%E4%B9%90+x&tr=udp://t:1&x.pe=[::ffff:1.2.3.4]:9`,
    `magnet:?${XT}&so=3&ws=https://s/&x.pe=10.0.0.1:65535&tr=http://a/&tr=http://b/`,
  ];
  for (const text of links) {
    const link = parseMagnet(text);
    assert.deepEqual(plain(parseMagnet(formatMagnet(link))), plain(link), text);
  }
  const urlText = fc.stringMatching(/^[a-z0-9._~%!$&'()*+,;=:@/?#-]{0,20}$/);
  const arbitraryLink = fc.record({
    hash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    name: fc.option(fc.string({ unit: "grapheme", minLength: 1 }), { nil: undefined }),
    trackers: fc.array(
      fc.tuple(fc.constantFrom("http", "https", "udp"), fc.domain(), urlText),
      { maxLength: 5 },
    ),
    peers: fc.array(
      fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 })),
      { maxLength: 5 },
    ),
    selectOnly: fc.array(fc.nat(50), { maxLength: 20 }),
  });
  fc.assert(fc.property(arbitraryLink, (random) => {
    const text = formatMagnet({
      infoHash: InfoHash.fromBytes(random.hash),
      name: random.name,
      trackerTiers: random.trackers.map(([scheme, host, path]) => [
        `${scheme}://${host}/${path}`,
      ]),
      peers: random.peers.map(([ip, port]) => ({ ip, port })),
      selectOnly: random.selectOnly,
    });
    const link = parseMagnet(text);
    assert.equal(link.infoHash.hex, InfoHash.fromBytes(random.hash).hex);
    assert.equal(link.name, random.name);
    assert.deepEqual(
      link.selectOnly,
      random.selectOnly.length === 0
        ? undefined
        : [...new Set(random.selectOnly)].sort((a, b) => a - b),
    );
    assert.deepEqual(plain(parseMagnet(formatMagnet(link))), plain(link));
  }));
});

function torrentWith(name: string, trackers: string[]) {
  const data = testBytes(1000);
  return parseMetainfo(createMetainfo({
    name,
    layout: { kind: "single", length: data.length },
    pieceLength: 16384,
    pieceHashes: pieceHashesOf(data, 16384),
    trackers,
  }));
}

Deno.test("magnetOf: the torrent's hash, name and trackers, in tier order", () => {
  const torrent = torrentWith("eBook.txt", [
    "http://127.0.0.1:6969/announce",
    "udp://127.0.0.2:6969",
  ]);
  const text = magnetOf(torrent);
  assert.match(text, new RegExp(`^magnet:\\?xt=urn:btih:${torrent.infoHash.hex}&dn=eBook\\.txt&`));
  assert.deepEqual(plain(parseMagnet(text)), {
    infoHash: torrent.infoHash.hex,
    name: "eBook.txt",
    trackerTiers: [["http://127.0.0.1:6969/announce"], ["udp://127.0.0.2:6969"]],
    peers: [],
    webSeeds: [],
  });
});

Deno.test("magnetOf leaves out what a magnet link cannot carry, so its link always parses", () => {
  const many = Array.from({ length: 150 }, (_, i) => `http://t${i}.example/announce`);
  const torrent = torrentWith("x", ["wss://t.example", "dht://x", ...many]);
  const link = parseMagnet(magnetOf(torrent));
  assert.deepEqual(link.trackerTiers.flat(), many.slice(0, MAX_MAGNET_TRACKERS));

  const long = `http://t.example/${"a".repeat(30_000)}`;
  const crowded = parseMagnet(
    magnetOf(torrentWith("x", [long, `${long}b`, `${long}c`, "udp://t:1"])),
  );
  assert.deepEqual(crowded.trackerTiers, [[long], [`${long}b`], ["udp://t:1"]], "what fits");

  const huge = torrentWith("n".repeat(MAX_MAGNET_LENGTH), ["udp://t:1"]);
  const nameless = parseMagnet(magnetOf(huge));
  assert.equal(nameless.name, undefined);
  assert.deepEqual(nameless.trackerTiers, [["udp://t:1"]]);
});

Deno.test("parseMagnet leaves out trackers of kinds p2p does not speak (WebTorrent's wss://)", () => {
  const link = parseMagnet(
    `magnet:?${XT}&tr=wss%3A%2F%2Ftracker.example&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce`,
  );
  assert.deepEqual(link.trackerTiers, [["http://127.0.0.1:6969/announce"]]);
});
