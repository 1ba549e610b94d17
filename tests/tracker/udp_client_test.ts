/**
 * The BEP 15 client against a scripted UDP tracker on loopback: connect and
 * announce, the connection id reused, lost datagrams sent again, stray and
 * late answers ignored, errors reported, scrape.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { InfoHash } from "../../src/metainfo/mod.ts";
import {
  announce,
  decodeAnnounceRequest,
  decodeConnectRequest,
  decodeScrapeRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  readUdpRequestHeader,
  scrape,
  TrackerError,
  UdpAction,
} from "../../src/tracker/mod.ts";
import { compactPeer } from "../../src/transport/mod.ts";

const infoHash = InfoHash.fromHex("a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b");
const parameters = {
  infoHash,
  peerId: new Uint8Array(20).fill(7),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 1000,
  event: "started" as const,
};

/** What the scripted tracker does with each request it gets, in order. */
type Script = (request: Uint8Array, index: number) => Uint8Array | Uint8Array[] | undefined;

/** A UDP tracker on 127.0.0.1 that answers as `script` says, keeping every request. */
async function scriptedTracker(script: Script) {
  const socket = dgram.createSocket("udp4");
  const requests: Uint8Array[] = [];
  socket.on("message", (message: Uint8Array, from: { port: number; address: string }) => {
    const request = new Uint8Array(message);
    requests.push(request);
    const answer = script(request, requests.length - 1);
    for (const datagram of answer === undefined ? [] : [answer].flat()) {
      socket.send(datagram, from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address() as { port: number };
  return {
    url: `udp://127.0.0.1:${port}/announce`,
    requests,
    actions: () => requests.map((request) => readUdpRequestHeader(request)!.action),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const CONNECTION_ID = 0x1234_5678_9abc_def0n;

/** Answers connects with {@link CONNECTION_ID} and announces with two peers. */
function honest(request: Uint8Array): Uint8Array | undefined {
  const header = readUdpRequestHeader(request)!;
  if (header.action === UdpAction.connect) {
    return encodeConnectResponse(decodeConnectRequest(request).transactionId, CONNECTION_ID);
  }
  if (header.connectionId !== CONNECTION_ID) {
    return encodeErrorResponse(header.transactionId, "bad connection id");
  }
  if (header.action === UdpAction.announce) {
    const { transactionId } = decodeAnnounceRequest(request);
    const peers = new Uint8Array([
      ...compactPeer("10.0.0.1", 6881)!,
      ...compactPeer("10.0.0.2", 6882)!,
    ]);
    return encodeAnnounceResponse(
      { transactionId, interval: 900, leechers: 3, seeders: 2, peers },
      "ipv4",
    );
  }
  const { transactionId, infoHashes } = decodeScrapeRequest(request);
  return encodeScrapeResponse(
    transactionId,
    infoHashes.map(() => ({ complete: 5, downloaded: 9, incomplete: 1 })),
  );
}

Deno.test("udp tracker client: connect, announce, and the connection id reused for the next one", async () => {
  const tracker = await scriptedTracker(honest);
  try {
    const answer = await announce(tracker.url, parameters);
    assert.deepEqual(answer.peers, [{ ip: "10.0.0.1", port: 6881 }, {
      ip: "10.0.0.2",
      port: 6882,
    }]);
    assert.equal(answer.interval, 900);
    assert.equal(answer.complete, 2);
    assert.equal(answer.incomplete, 3);
    const request = decodeAnnounceRequest(tracker.requests[1]);
    assert.deepEqual(request.infoHash, infoHash.bytes);
    assert.equal(request.port, 6881);
    assert.equal(request.event, "started");
    assert.equal(request.urlData, "/announce", "BEP 41: the URL's path goes along");
    await announce(tracker.url, { ...parameters, event: undefined });
    assert.deepEqual(tracker.actions(), [
      UdpAction.connect,
      UdpAction.announce,
      UdpAction.announce,
    ]);
  } finally {
    await tracker.close();
  }
});

Deno.test("udp tracker client: a lost datagram is sent again; stray and late answers are ignored", async () => {
  const tracker = await scriptedTracker((request, index) => {
    // The first connect is lost; the second is answered after a stray answer to nobody.
    if (index === 0) return undefined;
    const answer = honest(request);
    if (!answer) return undefined;
    const stray = encodeConnectResponse(123, 1n);
    return [stray, answer];
  });
  try {
    const started = performance.now();
    const answer = await announce(tracker.url.replace("/announce", "/a"), parameters);
    assert.equal(answer.peers.length, 2);
    assert.ok(performance.now() - started >= 900, "waited for the first attempt's timeout");
    assert.equal(tracker.actions().filter((action) => action === UdpAction.connect).length, 2);
  } finally {
    await tracker.close();
  }
});

Deno.test("udp tracker client: an error answer is reported with the tracker's message", async () => {
  const tracker = await scriptedTracker((request) => {
    const header = readUdpRequestHeader(request)!;
    if (header.action === UdpAction.connect) return honest(request);
    return encodeErrorResponse(header.transactionId, "torrent not allowed here");
  });
  try {
    await assert.rejects(
      () => announce(tracker.url, parameters),
      (error: Error) => {
        assert.ok(error instanceof TrackerError);
        assert.match(
          error.message,
          /^tracker udp:\/\/127\.0\.0\.1:\d+\/announce: .*torrent not allowed here$/,
        );
        return true;
      },
    );
  } finally {
    await tracker.close();
  }
});

Deno.test("udp tracker client: a tracker that never answers fails after the stated schedule", async () => {
  const tracker = await scriptedTracker(() => undefined);
  try {
    const started = performance.now();
    await assert.rejects(
      () => announce(tracker.url, parameters),
      /unreachable: no answer in 7 s \(3 attempts\)/,
    );
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds >= 6.9 && seconds < 9, `${seconds} s`);
    assert.equal(tracker.requests.length, 3, "one datagram an attempt");
  } finally {
    await tracker.close();
  }
});

Deno.test("udp tracker client: scrape of several torrents", async () => {
  const tracker = await scriptedTracker(honest);
  try {
    const other = InfoHash.fromHex("0123456789abcdef0123456789abcdef01234567");
    const counts = await scrape(tracker.url, [infoHash, other]);
    assert.deepEqual(counts.get(other.hex), { complete: 5, downloaded: 9, incomplete: 1 });
    assert.equal(counts.size, 2);
  } finally {
    await tracker.close();
  }
});
