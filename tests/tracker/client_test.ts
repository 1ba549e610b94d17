import assert from "node:assert/strict";
import {
  announce,
  buildAnnounceUrl,
  parseAnnounceResponse,
  parseQuery,
  queryBytes,
  scrape,
  scrapeUrlOf,
  TieredAnnouncer,
  TrackerError,
} from "../../src/tracker/mod.ts";
import { encode } from "../../src/bencode/mod.ts";
import { InfoHash } from "../../src/metainfo/mod.ts";
import { freePort } from "../helpers.ts";
import { id, withTracker } from "./tracker_helpers.ts";

const parameters = {
  infoHash: InfoHash.fromBytes(id(0xab)),
  peerId: id(0x20),
  port: 6881,
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: "started" as const,
};

Deno.test("buildAnnounceUrl percent-encodes binary ids that parseQuery reads back", () => {
  const infoHash = new Uint8Array(20).map((_, i) => i * 13);
  const url = buildAnnounceUrl("http://t/announce?passkey=x", {
    ...parameters,
    infoHash: InfoHash.fromBytes(infoHash),
  });
  assert.match(url, /^http:\/\/t\/announce\?passkey=x&info_hash=/);
  const query = parseQuery(url.split("?")[1]);
  assert.deepEqual(queryBytes(query.get("info_hash")![0]), infoHash);
  assert.deepEqual(query.get("event"), ["started"]);
});

Deno.test("scrapeUrlOf follows the BEP 48 convention", () => {
  assert.equal(scrapeUrlOf("http://t:1/announce"), "http://t:1/scrape");
  assert.equal(scrapeUrlOf("http://t/x/announce.php?k=1"), "http://t/x/scrape.php?k=1");
  assert.equal(scrapeUrlOf("http://t/a"), null);
});

const badAnswers: [string, Uint8Array, RegExp][] = [
  ["failure reason", encode({ "failure reason": "go away" }), /tracker refused: go away/],
  ["not bencode", new TextEncoder().encode("<html>"), /not bencode/],
  ["no interval", encode({ peers: new Uint8Array(0) }), /no valid interval/],
  ["ragged compact peers", encode({ interval: 5, peers: new Uint8Array(7) }), /multiple of 6/],
  [
    "ragged peers6",
    encode({ interval: 5, peers: new Uint8Array(0), peers6: new Uint8Array(5) }),
    /multiple of 18/,
  ],
];

for (const [name, body, message] of badAnswers) {
  Deno.test(`parseAnnounceResponse rejects ${name}`, () => {
    assert.throws(
      () => parseAnnounceResponse(body),
      (e: unknown) => e instanceof TrackerError && message.test(e.message),
    );
  });
}

Deno.test("parseAnnounceResponse reads dictionary peers and skips malformed entries", () => {
  const body = encode({
    interval: 30,
    peers: [{ ip: "127.0.0.2", port: 7000, "peer id": id(1) }, { ip: "x" }, {
      ip: "127.0.0.3",
      port: 0,
    }],
  });
  assert.deepEqual(parseAnnounceResponse(body).peers, [{
    ip: "127.0.0.2",
    port: 7000,
    peerId: id(1),
  }]);
});

Deno.test("announce and scrape against p2p tracker", async () => {
  await withTracker({}, async ({ announceUrl }) => {
    const answer = await announce(announceUrl, parameters);
    assert.equal(answer.interval, 1800);
    assert.equal(answer.incomplete, 1);
    const counts = await scrape(announceUrl, [parameters.infoHash]);
    assert.deepEqual(counts.get("ab".repeat(20)), { complete: 0, incomplete: 1, downloaded: 0 });
  });
});

Deno.test("an unreachable tracker is retried, then reported with its URL", async () => {
  const port = freePort();
  const started = performance.now();
  await assert.rejects(
    () => announce(`http://127.0.0.1:${port}/announce`, parameters, { retries: 2 }),
    (e: unknown) =>
      e instanceof TrackerError &&
      e.message ===
        `tracker http://127.0.0.1:${port}/announce unreachable: connection refused (3 attempts)`,
  );
  assert.ok(performance.now() - started >= 1400, "backs off 0.5 s, then 1 s");
});

Deno.test("a tracker that never answers times out", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const connection of listener) held.push(connection);
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    await assert.rejects(
      () =>
        announce(`http://127.0.0.1:${port}/announce`, parameters, { retries: 0, timeoutMs: 300 }),
      (e: unknown) =>
        e instanceof TrackerError && /unreachable: no answer in time \(1 attempt\)/.test(e.message),
    );
  } finally {
    listener.close();
    for (const connection of held) connection.close();
    await accepting.catch(() => {});
  }
});

Deno.test("TieredAnnouncer falls back across tiers and promotes the tracker that answered", async () => {
  await withTracker({}, async ({ announceUrl }) => {
    const dead = `http://127.0.0.1:${freePort()}/announce`;
    const announcer = new TieredAnnouncer([[dead, announceUrl], [
      `http://127.0.0.1:${freePort()}/a`,
    ]], {
      retries: 0,
    });
    const first = await announcer.announce(parameters);
    assert.equal(first.url, announceUrl);
    const second = await announcer.announce({ ...parameters, event: undefined });
    assert.equal(second.url, announceUrl, "the working tracker now comes first");
    const none = new TieredAnnouncer([[dead]], { retries: 0 });
    await assert.rejects(() => none.announce(parameters), /unreachable: connection refused/);
    await assert.rejects(() => new TieredAnnouncer([]).announce(parameters), /names no tracker/);
  });
});
