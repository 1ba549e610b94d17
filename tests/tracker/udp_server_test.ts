import assert from "node:assert/strict";
import dgram from "node:dgram";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import {
  type AnnounceRequest,
  bytesToBinaryString,
  compactPeer,
  CONNECTION_ID_WINDOW_MS,
  decodeAnnounceResponse,
  decodeErrorResponse,
  decodeScrapeResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  MAX_UDP_SCRAPE_HASHES,
  parseCompactPeers,
  publishTorrent,
  type SwarmRegistry,
  UDP_MAX_ANSWER_BYTES,
  UDP_MAX_NUMWANT_IPV4,
  UDP_MAX_NUMWANT_IPV6,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
  type UdpFamily,
} from "../../src/tracker/mod.ts";
import { torrentBytes, validTorrentFields } from "../helpers.ts";
import { announceQuery, getBencoded, id, withTracker } from "./tracker_helpers.ts";
import {
  actionOf,
  announceFields,
  transactionId,
  type UdpPeer,
  withUdpPeers,
} from "./udp_helpers.ts";

/** Whether this machine has an IPv6 loopback for TCP and UDP (CI's namespace may not). */
const ipv6Loopback = await (async () => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    const socket = dgram.createSocket("udp6");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "::1", resolve);
    });
    socket.close();
    return true;
  } catch {
    return false;
  }
})();

const ERROR = 3;

/** Announces and decodes the answer (which must echo the transaction id). */
async function announced(
  peer: UdpPeer,
  connectionId: bigint,
  fields: Partial<UdpAnnounceRequest> = {},
  family: UdpFamily = "ipv4",
): Promise<UdpAnnounceResponse> {
  const request = announceFields(connectionId, fields);
  const answer = await peer.request(encodeAnnounceRequest(request));
  return decodeAnnounceResponse(answer, request.transactionId, family);
}

/** Announces and expects an error answer to this transaction; returns its message. */
async function refused(
  peer: UdpPeer,
  connectionId: bigint,
  fields: Partial<UdpAnnounceRequest> = {},
): Promise<string> {
  const request = announceFields(connectionId, fields);
  const error = decodeErrorResponse(await peer.request(encodeAnnounceRequest(request)));
  assert.equal(error.transactionId, request.transactionId, "the transaction id is echoed");
  return error.message;
}

/** Puts `count` seeders straight into the registry, as if they had announced from `ip` (ports, and so peer ids, from `firstPort` on). */
function fill(registry: SwarmRegistry, ip: string, count: number, firstPort = 20000): void {
  for (let n = 0; n < count; n++) {
    const request: AnnounceRequest = {
      infoHash: "\xaa".repeat(20),
      peerId: `-FILL-${String(firstPort + n).padStart(14, "0")}`,
      port: firstPort + n,
      uploaded: 0,
      downloaded: 0,
      left: 0,
      event: "started",
      compact: true,
      numwant: 0,
    };
    registry.announce(request, bytesToBinaryString(compactPeer(ip, request.port)!));
  }
}

Deno.test("UDP on the HTTP port: connect, announce, the swarm's peers but never the asker; HTTP shares the swarm; logged alike", async () => {
  await withTracker({}, async ({ base, udpAnnounceUrl, logLines }) => {
    assert.match(udpAnnounceUrl!, /^udp:\/\/127\.0\.0\.1:\d+\/announce$/);
    assert.equal(new URL(udpAnnounceUrl!).port, new URL(base).port);
    await withUdpPeers(udpAnnounceUrl!, 2, async (leecher, seeder) => {
      const first = await announced(leecher, await leecher.connect(), { port: 7001 });
      assert.deepEqual({ ...first, transactionId: 0 }, {
        transactionId: 0,
        interval: 1800,
        leechers: 1,
        seeders: 0,
        peers: [],
      });
      const second = await announced(seeder, await seeder.connect(), {
        peerId: id(2),
        port: 7002,
        left: 0,
      });
      assert.deepEqual(second.peers, [{ ip: "127.0.0.1", port: 7001 }]);
      assert.deepEqual([second.leechers, second.seeders], [1, 1]);

      const http = await getBencoded(`${base}/announce?${announceQuery({ peer_id: id(3) })}`);
      assert.deepEqual(
        parseCompactPeers(http.get("peers") as Uint8Array, 6)!.map((p) => p.port).sort(),
        [7001, 7002],
      );
      const again = await announced(leecher, await leecher.connect(), { port: 7001 });
      assert.deepEqual(again.peers.map((p) => p.port).sort(), [6881, 7002], "the HTTP peer too");
    });
    assert.ok(
      logLines.some((line) => /^peer 127\.0\.0\.1:7001 joined \[aaaaaaaa\] as leecher$/.test(line)),
    );
    assert.ok(
      logLines.some((line) => /^peer 127\.0\.0\.1:7002 joined \[aaaaaaaa\] as seeder$/.test(line)),
    );
  });
});

Deno.test("an IPv4 answer holds IPv4 peers only, and at most 200 of them (1,220 bytes)", async () => {
  await withTracker({}, async ({ udpAnnounceUrl, registry }) => {
    fill(registry, "::1", 5, 30000);
    fill(registry, "127.0.0.1", 300);
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      const request = announceFields(connectionId, { numWant: 1_000_000 });
      const answer = await peer.request(encodeAnnounceRequest(request));
      assert.equal(answer.length, 20 + 6 * UDP_MAX_NUMWANT_IPV4);
      const decoded = decodeAnnounceResponse(answer, request.transactionId, "ipv4");
      assert.ok(decoded.peers.every((p) => p.ip === "127.0.0.1"));
      assert.equal(decoded.seeders, 305, "the counts hold both families");
      assert.equal((await announced(peer, connectionId)).peers.length, 50, "-1: the default");
      assert.equal((await announced(peer, connectionId, { numWant: 3 })).peers.length, 3);
      assert.equal((await announced(peer, connectionId, { numWant: 0 })).peers.length, 0);
    });
  });
});

Deno.test({
  name: `IPv6: an announce over ::1 gets 18-byte IPv6 peers only, at most 67 (1,226 bytes)${
    ipv6Loopback ? "" : " (skipped: no IPv6 loopback on this machine)"
  }`,
  ignore: !ipv6Loopback,
  fn: async () => {
    await withTracker({ hostname: "::1" }, async ({ udpAnnounceUrl, registry, logLines }) => {
      assert.match(udpAnnounceUrl!, /^udp:\/\/\[::1\]:\d+\/announce$/);
      fill(registry, "127.0.0.1", 3);
      await withUdpPeers(udpAnnounceUrl!, 2, async (first, second) => {
        await announced(first, await first.connect(), { port: 7001 }, "ipv6");
        const answer = await announced(
          second,
          await second.connect(),
          { peerId: id(2), port: 7002 },
          "ipv6",
        );
        assert.deepEqual(answer.peers, [{ ip: "::1", port: 7001 }]);
        assert.deepEqual([answer.leechers, answer.seeders], [2, 3]);
        fill(registry, "::1", 100, 40000);
        const connectionId = await second.connect();
        const request = announceFields(connectionId, { peerId: id(2), port: 7002, numWant: 500 });
        const full = await second.request(encodeAnnounceRequest(request));
        assert.equal(full.length, 20 + 18 * UDP_MAX_NUMWANT_IPV6);
        assert.ok(full.length <= 1280 - 40 - 8, "within IPv6's minimum MTU");
      });
      assert.ok(logLines.some((line) => /^peer ::1:7001 joined/.test(line)));
    });
  },
});

Deno.test("scrape of several torrents: seeders, completed, leechers in the request's order", async () => {
  await withTracker({}, async ({ udpAnnounceUrl }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      await announced(peer, connectionId);
      // A peer is its address and port: each gets a port of its own.
      await announced(peer, connectionId, {
        peerId: id(2),
        port: 7002,
        left: 0,
        event: "completed",
      });
      await announced(peer, connectionId, { infoHash: id(0xbb), peerId: id(3), left: 0 });
      const hashes = [id(0xaa), id(0xcc), id(0xbb), id(0xaa)];
      const transaction = transactionId();
      const answer = await peer.request(
        encodeScrapeRequest({ connectionId, transactionId: transaction, infoHashes: hashes }),
      );
      assert.deepEqual(decodeScrapeResponse(answer, transaction, hashes.length), [
        { complete: 1, incomplete: 1, downloaded: 1 },
        { complete: 0, incomplete: 0, downloaded: 0 },
        { complete: 1, incomplete: 0, downloaded: 0 },
        { complete: 1, incomplete: 1, downloaded: 1 },
      ]);
    });
  });
});

Deno.test("closed mode: an unpublished torrent gets a BEP 15 error, a published one is served", async () => {
  await withTracker({ closed: true }, async ({ base, udpAnnounceUrl }) => {
    const torrent = torrentBytes(validTorrentFields().top);
    const infoHash = parseMetainfo(torrent).infoHash.bytes;
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      assert.match(await refused(peer, connectionId, { infoHash }), /^unknown torrent/);
      await publishTorrent(base, torrent);
      const served = await announced(peer, connectionId, { infoHash });
      assert.equal(served.leechers, 1);
    });
  });
});

Deno.test("stopped removes the peer at once, and is logged as leaving", async () => {
  await withTracker({}, async ({ udpAnnounceUrl, registry, logLines }) => {
    await withUdpPeers(udpAnnounceUrl!, 2, async (leaving, staying) => {
      const leavingId = await leaving.connect();
      const stayingId = await staying.connect();
      await announced(leaving, leavingId, { port: 7001 });
      assert.equal((await announced(staying, stayingId, { peerId: id(2) })).peers.length, 1);
      const stopped = await announced(leaving, leavingId, { port: 7001, event: "stopped" });
      assert.deepEqual([stopped.peers, stopped.leechers], [[], 1]);
      assert.deepEqual((await announced(staying, stayingId, { peerId: id(2) })).peers, []);
      assert.deepEqual(registry.size, { swarms: 1, peers: 1 });
    });
    assert.ok(logLines.some((line) => /^peer 127\.0\.0\.1:7001 left \[aaaaaaaa\]$/.test(line)));
  });
});

Deno.test("--max-swarms and --max-peers: announces beyond the caps get a BEP 15 error, logged once", async () => {
  await withTracker({ maxSwarms: 1, maxPeers: 2 }, async ({ udpAnnounceUrl, logLines }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      await announced(peer, connectionId);
      for (const byte of [0xb1, 0xb2]) {
        assert.match(await refused(peer, connectionId, { infoHash: id(byte) }), /tracker is full/);
      }
      await announced(peer, connectionId, { peerId: id(2), port: 7002 });
      assert.match(
        await refused(peer, connectionId, { peerId: id(3), port: 7003 }),
        /tracker is full/,
      );
      assert.equal((await announced(peer, connectionId)).leechers, 2, "known peers still announce");
    });
    assert.equal(logLines.filter((line) => /--max-swarms/.test(line)).length, 1);
    assert.equal(logLines.filter((line) => /--max-peers/.test(line)).length, 1);
  });
});

Deno.test("forged connection ids, and ids of another source, get no answer at all", async () => {
  await withTracker({}, async ({ udpAnnounceUrl, registry }) => {
    await withUdpPeers(udpAnnounceUrl!, 2, async (owner, thief) => {
      const connectionId = await owner.connect();
      const announce = (id: bigint) => encodeAnnounceRequest(announceFields(id));
      const scrape = (id: bigint) =>
        encodeScrapeRequest({
          connectionId: id,
          transactionId: 1,
          infoHashes: [new Uint8Array(20)],
        });
      assert.deepEqual(await thief.answersTo(announce(connectionId), scrape(connectionId)), []);
      for (const forged of [0n, 0x41727101980n, connectionId ^ 1n, 2n ** 64n - 1n]) {
        assert.deepEqual(await owner.answersTo(announce(forged), scrape(forged)), [], `${forged}`);
      }
      assert.deepEqual(registry.size, { swarms: 0, peers: 0 }, "nothing was recorded");
      assert.equal((await announced(owner, connectionId)).leechers, 1, "the owner's id works");
    });
  });
});

Deno.test("a connection id is accepted in its two-minute window and the next, then stale", async () => {
  let now = 0;
  await withTracker({ now: () => now }, async ({ udpAnnounceUrl }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      now = 2 * CONNECTION_ID_WINDOW_MS - 1;
      assert.equal((await announced(peer, connectionId)).leechers, 1, "almost four minutes on");
      now = 2 * CONNECTION_ID_WINDOW_MS;
      assert.deepEqual(
        await peer.answersTo(encodeAnnounceRequest(announceFields(connectionId))),
        [],
      );
      const fresh = await peer.connect();
      assert.equal((await announced(peer, fresh)).leechers, 1, "a new connect works again");
    });
  });
});

Deno.test("amplification: a source without a connection id gets 16 bytes for a 16-byte connect, nothing else", async () => {
  await withTracker({}, async ({ udpAnnounceUrl }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (stranger) => {
      const connect = encodeConnectRequest(42);
      const hostile = [
        new Uint8Array(0),
        new Uint8Array(15),
        new Uint8Array(16),
        new Uint8Array(1400).fill(0xff),
        connect.subarray(0, 15),
        Uint8Array.from([...connect, 0]),
        Uint8Array.from([...connect.subarray(0, 8), 0, 0, 0, 1, ...connect.subarray(12)]),
        Uint8Array.from([...connect.subarray(0, 8), 0, 0, 0, 2, ...new Uint8Array(8 + 20 * 74)]),
        encodeAnnounceRequest(announceFields(0x41727101980n)),
        encodeAnnounceRequest(announceFields(12345n, { numWant: 1_000_000 })),
      ];
      assert.deepEqual(await stranger.answersTo(...hostile), []);
      const answer = await stranger.request(connect);
      assert.deepEqual([answer.length, actionOf(answer)], [16, 0]);
    });
  });
});

Deno.test("amplification: with a valid id no answer exceeds a full announce answer; a scrape answer is smaller than its request", async () => {
  await withTracker({}, async ({ udpAnnounceUrl, registry }) => {
    fill(registry, "127.0.0.1", 300);
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      const full = await peer.announce(connectionId, { numWant: 2 ** 31 - 1 });
      assert.equal(full.length, 20 + 6 * UDP_MAX_NUMWANT_IPV4);
      assert.ok(full.length <= UDP_MAX_ANSWER_BYTES);
      const hashes = Array.from({ length: MAX_UDP_SCRAPE_HASHES }, (_, i) => id(i));
      const scrape = encodeScrapeRequest({ connectionId, transactionId: 5, infoHashes: hashes });
      const answer = await peer.request(scrape);
      assert.equal(answer.length, 8 + 12 * MAX_UDP_SCRAPE_HASHES);
      assert.ok(answer.length < scrape.length);
    });
  });
});

Deno.test("garbage with a valid connection id gets error answers echoing its transaction id; random datagrams never stop the tracker", async () => {
  await withTracker({}, async ({ udpAnnounceUrl, logLines }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      const connectionId = await peer.connect();
      const request = encodeAnnounceRequest(announceFields(connectionId, { transactionId: 77 }));
      const edited = (edit: (view: DataView) => void) => {
        const copy = request.slice();
        edit(new DataView(copy.buffer));
        return copy;
      };
      const cases: [string, Uint8Array, RegExp][] = [
        ["97 bytes", request.subarray(0, 97), /at least 98 bytes/],
        ["action 9", edited((v) => v.setUint32(8, 9)), /unknown action 9/],
        ["event 4", edited((v) => v.setUint32(80, 4)), /unknown event 4/],
        ["port 0", edited((v) => v.setUint16(96, 0)), /port must be 1 to 65535/],
        ["a broken option", Uint8Array.from([...request, 2, 9]), /runs past the end/],
        [
          "a scrape of half a hash",
          Uint8Array.from([
            ...request.subarray(0, 8),
            0,
            0,
            0,
            2,
            0,
            0,
            0,
            77,
            ...id(1).subarray(10),
          ]),
          /a scrape is 16 bytes and 20 for each info hash/,
        ],
      ];
      for (const [name, datagram, message] of cases) {
        const error = decodeErrorResponse(await peer.request(datagram));
        assert.equal(error.transactionId, 77, name);
        assert.match(error.message, message, name);
      }

      let seed = 1;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let errors = 0;
      // In rounds small enough for the sockets' receive buffers, so none is lost on the way.
      for (let round = 0; round < 10; round++) {
        const datagrams = Array.from({ length: 50 }, (_, n) => {
          const bytes = Uint8Array.from(
            { length: Math.floor(random() * 200) },
            () => random() * 256,
          );
          if (n % 2 === 0 && bytes.length >= 16) bytes.set(request.subarray(0, 8)); // our id
          return bytes;
        });
        const answers = await peer.answersTo(...datagrams);
        assert.ok(answers.every((answer) => actionOf(answer) === ERROR), "errors only");
        errors += answers.length;
      }
      assert.ok(errors > 0, "some random datagrams carried our id");
      assert.equal((await announced(peer, connectionId)).leechers, 1, "still serving");
    });
    assert.deepEqual(logLines.filter((line) => /internal error/.test(line)), []);
  });
});

Deno.test("the announce's IP address field counts only with --trust-proxy, as HTTP's ip= does", async () => {
  for (const trustProxy of [false, true]) {
    await withTracker({ trustProxy }, async ({ udpAnnounceUrl }) => {
      await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
        const connectionId = await peer.connect();
        await announced(peer, connectionId, { ip: "10.9.8.7", port: 7001 });
        const seen = await announced(peer, connectionId, { peerId: id(2) });
        assert.deepEqual(seen.peers, [{ ip: trustProxy ? "10.9.8.7" : "127.0.0.1", port: 7001 }]);
      });
    });
  }
});

Deno.test("UDP on a port of its own, or none", async () => {
  await withTracker({ udpPort: 0 }, async ({ udpAnnounceUrl }) => {
    await withUdpPeers(udpAnnounceUrl!, 1, async (peer) => {
      assert.equal((await announced(peer, await peer.connect())).leechers, 1);
    });
  });
  await withTracker({ udpPort: false }, async ({ base, udpAnnounceUrl }) => {
    assert.equal(udpAnnounceUrl, undefined);
    const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
    assert.equal(answer.get("incomplete"), 1, "HTTP alone");
  });
});
