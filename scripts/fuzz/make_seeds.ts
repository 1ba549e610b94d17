// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * Writes the fuzz seed corpora under `tests/fuzz/seeds/`: small real
 * examples of every input the targets read, made by p2p's own encoders,
 * by mktorrent and by opentracker (on loopback), with fixed data so the
 * same files come out every time (but for the interval opentracker picks). The corpora are checked in; run this
 * again when a format gains a field:
 *
 *     deno run --allow-all scripts/fuzz/make_seeds.ts
 *
 * @module
 */
import { type BencodeDict, decode, encode } from "../../src/bencode/mod.ts";
import { encodeKrpc, type KrpcMessage } from "../../src/dht/mod.ts";
import {
  createMetainfo,
  formatMagnet,
  InfoHash,
  magnetOf,
  parseMagnet,
  parseMetainfo,
} from "../../src/metainfo/mod.ts";
import {
  buildAnnounceUrl,
  compactPeer,
  encodeAnnounceAnswer,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeFailure,
  encodeScrapeAnswer,
  encodeScrapeRequest,
  encodeScrapeResponse,
} from "../../src/tracker/mod.ts";
import {
  Bitfield,
  encodeHandshake,
  encodeMessage,
  encodeMetadataMessage,
  encodePex,
  extensionHandshake,
  type Message,
} from "../../src/wire/mod.ts";
import { freePort, hasCommand, pieceHashesOf, runTool, testBytes } from "../../tests/helpers.ts";
import { startOpentracker } from "../../tests/real_clients.ts";
import { concat } from "../../src/tracker/mod.ts";
import { SEEDS_DIR } from "./engine.ts";

const text = (value: string) => new TextEncoder().encode(value);
const latin1 = (value: string) => Uint8Array.from(value, (c) => c.charCodeAt(0));
const PEER_ID = text("-P20100-fuzzseed0001");
const OTHER_PEER_ID = text("-lt20B0-Abc123Def456");
const TRACKER = "http://127.0.0.1:6969/announce";

const corpora = new Map<string, Map<string, Uint8Array>>();
function seed(corpus: string, name: string, bytes: Uint8Array): void {
  if (!corpora.has(corpus)) corpora.set(corpus, new Map());
  corpora.get(corpus)!.set(name, bytes);
}

// --- .torrent files and their info dictionaries --------------------------

const data = testBytes(40000, 7);
const torrents: [string, Uint8Array][] = [
  [
    "p2p_single.torrent",
    createMetainfo({
      name: "data.bin",
      layout: { kind: "single", length: data.length },
      pieceLength: 16384,
      pieceHashes: pieceHashesOf(data, 16384),
      trackers: [TRACKER, "http://[::1]:6969/announce"],
      comment: "fuzz seed",
      createdBy: "p2p/0.1.0",
      creationDate: 1733011200,
    }),
  ],
  [
    "p2p_multi_private.torrent",
    createMetainfo({
      name: "album",
      layout: {
        kind: "multi",
        files: [
          { path: ["01 intro.txt"], length: 1000 },
          { path: ["disc 2", "02 é.txt"], length: 20000 },
          { path: ["empty"], length: 0 },
        ],
      },
      pieceLength: 16384,
      pieceHashes: pieceHashesOf(testBytes(21000, 8), 16384),
      trackers: [TRACKER],
      private: true,
      source: "fuzz",
    }),
  ],
  // What older clients wrote: a legacy name beside its UTF-8 twin, and `private: 0`.
  [
    "utf8_twins.torrent",
    encode({
      announce: TRACKER,
      "announce-list": [[TRACKER], ["udp://127.0.0.1:6969"]],
      encoding: "GBK",
      info: {
        files: [
          { length: 3000, path: [latin1("\xc4\xe3\xba\xc3.txt")], "path.utf-8": ["你好.txt"] },
        ],
        name: latin1("\xd2\xf4\xc0\xd6"),
        "name.utf-8": "音乐",
        "piece length": 1024,
        pieces: pieceHashesOf(testBytes(3000, 9), 1024),
        private: 0,
      },
    }),
  ],
];

if (hasCommand("mktorrent")) {
  const dir = await Deno.makeTempDir({ prefix: "p2p-fuzz-seeds-" });
  try {
    await Deno.writeFile(`${dir}/ebook.txt`, data);
    await Deno.mkdir(`${dir}/tree/sub/deeper`, { recursive: true });
    await Deno.writeFile(`${dir}/tree/a.txt`, testBytes(100, 10));
    await Deno.writeFile(`${dir}/tree/sub/b.bin`, testBytes(5000, 11));
    await Deno.writeFile(`${dir}/tree/sub/deeper/c`, testBytes(37000, 12));
    const make = async (output: string, args: string[]) => {
      await runTool("mktorrent", ["-d", "-l", "15", "-o", `${dir}/${output}`, ...args]);
      torrents.push([`mktorrent_${output}`, await Deno.readFile(`${dir}/${output}`)]);
    };
    await make("single.torrent", ["-a", TRACKER, `${dir}/ebook.txt`]);
    await make("multi.torrent", [
      "-a",
      TRACKER,
      "-a",
      "http://127.0.0.2:6969/announce",
      "-c",
      "made by mktorrent",
      "-p",
      "-s",
      "src",
      "-w",
      "http://127.0.0.1:8080/tree",
      `${dir}/tree`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} else {
  console.error("make_seeds: mktorrent is not installed; its torrents are left out");
}

for (const [name, bytes] of torrents) {
  parseMetainfo(bytes); // every seed is a valid torrent
  seed("metainfo", name, bytes);
  const top = decode(bytes) as BencodeDict;
  const [start, end] = top.spans.get("info")!;
  seed("info", name.replace(/\.torrent$/, ".info"), bytes.slice(start, end));
}
const infoHash = parseMetainfo(torrents[0][1]).infoHash;

// --- magnet links ----------------------------------------------------------

const magnets: [string, string][] = [
  ["p2p.magnet", magnetOf(parseMetainfo(torrents[0][1]))],
  [
    "every_field.magnet",
    formatMagnet({
      infoHash,
      name: "音乐 & more",
      trackerTiers: [[TRACKER], ["udp://127.0.0.1:6969"]],
      peers: [{ ip: "127.0.0.1", port: 6881 }, { ip: "::1", port: 51413 }],
      webSeeds: ["http://127.0.0.1:8080/data"],
      selectOnly: [0, 2, 4, 5, 6],
    }),
  ],
  // As other clients and sites write them: base32, separators left raw, numbered trackers,
  // a v2 hash beside the v1 one, parameters p2p does not read.
  [
    "base32_numbered.magnet",
    `magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=data+bin&tr.1=${TRACKER}` +
    "&tr.2=udp://127.0.0.1:6969&x.pe=127.0.0.1:6881&x.pe=[::1]:6881&xl=40000",
  ],
  [
    "hybrid.magnet",
    `magnet:?xt=urn:btih:${infoHash.hex}&xt=urn:btmh:1220${"ab".repeat(32)}&dn=data.bin` +
    "&so=0-2,5&ws=https://127.0.0.1/data&kt=fuzz+seed",
  ],
  ["bare_hash.txt", infoHash.hex],
];
for (const [name, link] of magnets) {
  parseMagnet(link); // every seed is a valid link
  seed("magnet", name, text(link));
}

// --- the peer wire protocol ------------------------------------------------

const ourExtensions = extensionHandshake({
  messages: { ut_metadata: 1, ut_pex: 2 },
  maxQueuedRequests: 512,
  client: "p2p 0.1.0",
  extra: { metadata_size: 1234 },
});
const theirExtensions = {
  complete_ago: -1,
  m: { lt_donthave: 7, share_mode: 8, upload_only: 3, ut_holepunch: 4, ut_metadata: 2, ut_pex: 1 },
  metadata_size: 31235,
  p: 6881,
  reqq: 500,
  upload_only: 0,
  v: "libtorrent 2.0.11",
  yourip: new Uint8Array([127, 0, 0, 1]),
  ipv6: new Uint8Array(16).fill(1),
};
seed("extension", "p2p.bencode", (ourExtensions as { payload: Uint8Array }).payload);
seed("extension", "libtorrent.bencode", encode(theirExtensions));
seed("extension", "minimal.bencode", encode({ m: {} }));
seed("ut-metadata", "request.bencode", encodeMetadataMessage({ type: "request", piece: 0 }));
seed("ut-metadata", "reject.bencode", encodeMetadataMessage({ type: "reject", piece: 3 }));
seed(
  "ut-metadata",
  "data.bencode",
  encodeMetadataMessage({ type: "data", piece: 1, totalSize: 16400, data: testBytes(16, 5) }),
);
seed(
  "ut-pex",
  "added_dropped.bencode",
  encodePex({
    added: [{ ip: "10.0.0.1", port: 6881, flags: 0x12 }, {
      ip: "2001:db8::7",
      port: 51413,
      flags: 1,
    }],
    dropped: [{ ip: "192.168.0.9", port: 6882 }],
  }),
);

const bitfield = new Bitfield(10);
for (const index of [0, 3, 9]) bitfield.set(index);
const range = { piecesRoot: testBytes(32, 13), baseLayer: 0, index: 0, length: 2, proofLayers: 1 };
const messages: [string, Message][] = [
  ["keep_alive", { type: "keep-alive" }],
  ["choke", { type: "choke" }],
  ["unchoke", { type: "unchoke" }],
  ["interested", { type: "interested" }],
  ["not_interested", { type: "not-interested" }],
  ["have", { type: "have", index: 9 }],
  ["bitfield", { type: "bitfield", bitfield }],
  ["request", { type: "request", index: 9, begin: 0, length: 5000 }],
  ["piece", { type: "piece", index: 1, begin: 16384, block: testBytes(64, 14) }],
  ["cancel", { type: "cancel", index: 2, begin: 16384, length: 16384 }],
  ["port", { type: "port", port: 6881 }],
  ["suggest", { type: "suggest", index: 4 }],
  ["have_all", { type: "have-all" }],
  ["have_none", { type: "have-none" }],
  ["reject", { type: "reject", index: 3, begin: 0, length: 16384 }],
  ["allowed_fast", { type: "allowed-fast", index: 5 }],
  ["extended_handshake", ourExtensions],
  ["extended_libtorrent", {
    type: "extended",
    extendedId: 0,
    payload: encode(theirExtensions),
  }],
  ["extended_metadata", {
    type: "extended",
    extendedId: 1,
    payload: concat([encode({ msg_type: 1, piece: 0, total_size: 100 }), testBytes(100, 15)]),
  }],
  ["hash_request", { type: "hash-request", ...range }],
  ["hashes", { type: "hashes", ...range, hashes: testBytes(96, 16) }],
  ["hash_reject", { type: "hash-reject", ...range }],
  ["unknown", { type: "unknown", id: 99 }],
];
for (const [name, message] of messages) seed("wire", `${name}.bin`, encodeMessage(message));
// What a session reads after the handshake: the opening of a real connection.
seed(
  "wire",
  "session.bin",
  concat(
    [messages[6], messages[17], messages[3], messages[1], messages[7], messages[8], messages[5]]
      .map(([, message]) => encodeMessage(message)),
  ),
);

const ours = encodeHandshake(infoHash, PEER_ID);
seed("handshake", "p2p.bin", ours);
const libtorrent = encodeHandshake(infoHash, OTHER_PEER_ID);
libtorrent[25] |= 0x10; // extension protocol (BEP 10)
libtorrent[27] |= 0x05; // DHT and the Fast extension
seed("handshake", "libtorrent.bin", libtorrent);

// --- tracker queries and answers -------------------------------------------

const queryOf = (url: string) => text(url.slice(url.indexOf("?") + 1));
const parameters = {
  infoHash,
  peerId: PEER_ID,
  port: 6881,
  uploaded: 0,
  downloaded: 16384,
  left: 23616,
};
seed(
  "announce-query",
  "p2p_started.query",
  queryOf(buildAnnounceUrl(TRACKER, {
    ...parameters,
    event: "started",
    numwant: 50,
    key: "k3y",
    name: "client 1",
  })),
);
seed("announce-query", "p2p_interval.query", queryOf(buildAnnounceUrl(TRACKER, parameters)));
seed(
  "announce-query",
  "libtorrent_style.query",
  queryOf(
    buildAnnounceUrl(`${TRACKER}?passkey=abc`, {
      ...parameters,
      peerId: OTHER_PEER_ID,
      event: "completed",
      left: 0,
    }) + "&corrupt=0&redundant=0&no_peer_id=1&supportcrypto=1&ipv6=%3A%3A1&ip=127.0.0.1",
  ),
);
const hashQuery = (hash: InfoHash) =>
  "info_hash=" + Array.from(hash.bytes, (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
seed("scrape-query", "one.query", text(hashQuery(infoHash)));
seed(
  "scrape-query",
  "two.query",
  text(`${hashQuery(infoHash)}&${hashQuery(InfoHash.fromBytes(testBytes(20, 17)))}`),
);

const binary = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const answer = {
  interval: 1800,
  minInterval: 60,
  complete: 1,
  incomplete: 1,
  peers: compactPeer("127.0.0.1", 6881)!,
  peers6: compactPeer("::1", 51413)!,
};
seed(
  "announce-response",
  "p2p_compact.bencode",
  encodeAnnounceAnswer(answer, { compact: true }),
);
seed(
  "announce-response",
  "p2p_dictionary.bencode",
  encodeAnnounceAnswer(answer, { compact: false }),
);
seed(
  "announce-response",
  "warning.bencode",
  encode({ interval: 900, peers: new Uint8Array(0), "warning message": "slow down" }),
);
seed("announce-response", "failure.bencode", encodeFailure("unknown torrent"));
seed(
  "scrape-response",
  "p2p.bencode",
  encodeScrapeAnswer([
    [binary(infoHash.bytes), { complete: 3, incomplete: 1, downloaded: 7 }],
    [binary(testBytes(20, 17)), { complete: 0, incomplete: 0, downloaded: 0 }],
  ]),
);
seed("scrape-response", "failure.bencode", encodeFailure("scrape is off"));

// --- UDP tracker datagrams (BEP 15, BEP 41) ---------------------------------

const CONNECTION_ID = 0x1122334455667788n;
const udpAnnounce = {
  connectionId: CONNECTION_ID,
  transactionId: 0x01020304,
  infoHash: infoHash.bytes,
  peerId: PEER_ID,
  downloaded: 0,
  left: 23616,
  uploaded: 0,
  event: "started" as const,
  key: 0xabcdef01,
  numWant: -1,
  port: 6881,
};
seed("udp-request", "connect.bin", encodeConnectRequest(0x01020304));
seed("udp-request", "announce.bin", encodeAnnounceRequest(udpAnnounce));
seed(
  "udp-request",
  "announce_url_data.bin",
  encodeAnnounceRequest({ ...udpAnnounce, ip: "10.0.0.1", urlData: "/announce?name=client1" }),
);
seed(
  "udp-request",
  "scrape.bin",
  encodeScrapeRequest({
    connectionId: CONNECTION_ID,
    transactionId: 7,
    infoHashes: [infoHash.bytes, testBytes(20, 17)],
  }),
);
const udpAnswer = { transactionId: 0x01020304, interval: 1800, leechers: 1, seeders: 1 };
seed("udp-response", "connect.bin", encodeConnectResponse(0x01020304, CONNECTION_ID));
seed(
  "udp-response",
  "announce_ipv4.bin",
  encodeAnnounceResponse({ ...udpAnswer, peers: answer.peers }, "ipv4"),
);
seed(
  "udp-response",
  "announce_ipv6.bin",
  encodeAnnounceResponse({ ...udpAnswer, peers: answer.peers6 }, "ipv6"),
);
seed(
  "udp-response",
  "scrape.bin",
  encodeScrapeResponse(7, [
    { complete: 3, incomplete: 1, downloaded: 7 },
    { complete: 0, incomplete: 0, downloaded: 0 },
  ]),
);
seed("udp-response", "error.bin", encodeErrorResponse(7, "unknown torrent"));

if (hasCommand("opentracker")) {
  const home = await Deno.makeTempDir({ prefix: "p2p-fuzz-opentracker-" });
  const port = freePort();
  const tracker = await startOpentracker(home, port, [infoHash.hex]);
  try {
    const base = `http://127.0.0.1:${port}`;
    const get = async (url: string) => {
      for (let attempt = 0;; attempt++) {
        try {
          const response = await fetch(url);
          return new Uint8Array(await response.arrayBuffer());
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const announce = (peerId: Uint8Array, port: number, left: number) =>
      get(buildAnnounceUrl(`${base}/announce`, { ...parameters, peerId, port, left }));
    await announce(OTHER_PEER_ID, 51413, 0);
    seed("announce-response", "opentracker.bencode", await announce(PEER_ID, 6881, 23616));
    seed(
      "scrape-response",
      "opentracker.bencode",
      await get(`${base}/scrape?${hashQuery(infoHash)}`),
    );
  } finally {
    tracker.kill();
    await tracker.status;
    await Deno.remove(home, { recursive: true });
  }
} else {
  console.error("make_seeds: opentracker is not installed; its answers are left out");
}

// --- written out, replacing what was there -----------------------------------

// --- KRPC (BEP 5): every query, answers with nodes and with values, an error ---

const nodeId = (fill: number) => new Uint8Array(20).fill(fill);
const krpcMessages: [string, KrpcMessage][] = [
  ["ping", { kind: "query", t: text("aa"), query: { method: "ping", id: nodeId(1) } }],
  [
    "find_node",
    {
      kind: "query",
      t: text("ab"),
      query: { method: "find_node", id: nodeId(1), target: nodeId(2) },
    },
  ],
  [
    "get_peers",
    {
      kind: "query",
      t: text("ac"),
      query: { method: "get_peers", id: nodeId(1), infoHash: infoHash.bytes },
    },
  ],
  [
    "announce_peer",
    {
      kind: "query",
      t: text("ad"),
      query: {
        method: "announce_peer",
        id: nodeId(1),
        infoHash: infoHash.bytes,
        port: 6881,
        impliedPort: true,
        token: text("aoeusnth"),
      },
    },
  ],
  [
    "nodes",
    {
      kind: "response",
      t: text("ab"),
      body: {
        id: nodeId(3),
        nodes: [
          { id: nodeId(4), endpoint: { ip: "127.0.0.1", port: 6881 } },
          { id: nodeId(5), endpoint: { ip: "10.0.0.9", port: 51413 } },
        ],
      },
    },
  ],
  [
    "values",
    {
      kind: "response",
      t: text("ac"),
      body: {
        id: nodeId(3),
        token: text("tok4"),
        values: [{ ip: "127.0.0.1", port: 6881 }, { ip: "::1", port: 6882 }],
        nodes: [{ id: nodeId(6), endpoint: { ip: "127.0.0.2", port: 1 } }],
      },
    },
  ],
  ["pong", { kind: "response", t: text("aa"), body: { id: nodeId(3) } }],
  ["error", { kind: "error", t: text("ad"), code: 203, message: "bad token" }],
];
for (const [name, message] of krpcMessages) {
  seed("krpc", `${name}.bencode`, encodeKrpc(message, text("P2\0\x01")));
}
// libtorrent's extra keys: its version, our address as it sees it, read-only.
seed(
  "krpc",
  "libtorrent_ping.bencode",
  encode({
    a: { id: nodeId(7) },
    ip: new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]),
    q: "ping",
    ro: 1,
    t: "xy",
    v: "LT\x02\x00",
    y: "q",
  }),
);

for (const [corpus, files] of corpora) {
  const dir = `${SEEDS_DIR}${corpus}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await Deno.writeFile(`${dir}/${name}`, bytes);
  console.error(`make_seeds: ${dir}: ${files.size} seeds`);
}
