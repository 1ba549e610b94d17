/**
 * Interop with Transmission 3.00, which refuses loopback peers: it runs in a
 * network namespace of the test's own, p2p on our side of a veth pair. It
 * downloads from `p2p seed` given the .torrent or only the magnet link (the
 * metadata then comes from us, BEP 9), and `p2p get` downloads from it;
 * given a magnet link, it finds a python3-libtorrent seed through `p2p
 * tracker`, though it announces `left` = 2^63 - 1 until it has the
 * metadata. Transmission's µTP is off here (these are the TCP tests); with it on, at
 * its defaults, it is in utp_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { magnetOf, parseMetainfo } from "../../src/metainfo/mod.ts";
import { needsTools } from "../helpers.ts";
import { LOG_TIME } from "../process_helpers.ts";
import { libtorrentPeer, spawn, SYSTEM_PYTHON, waitForOutput } from "../real_clients.ts";
import { canMakeNetworkNamespaces } from "./network_namespace.ts";
import {
  assertServed,
  getFromTransmission,
  stopProcess,
  waitForSameBytes,
  withTransmissionSwarm,
} from "./transmission_swarm.ts";

Deno.test({
  name: "interop: Transmission downloads from p2p seed, and p2p get from Transmission",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        // Transmission leeches from p2p seed.
        const seed = await startSeed();
        const leecher = await startTransmission(torrent, "tr-leech", "tr1");
        await waitForSameBytes(original, join(dir, "tr-leech", "film.bin"));
        assertServed(seed, guest);
        // It kept to the request queue we offered in our extension handshake (reqq).
        assert.doesNotMatch(seed.stderr(), /requests waiting/);
        await stopProcess(leecher);
        await seed.stop();

        // p2p get downloads from Transmission seeding the copy it just made.
        await startTransmission(torrent, "tr-leech", "tr2");
        await getFromTransmission({ dir, guest, original, torrent });
      },
    ),
});

Deno.test({
  name:
    "interop: Transmission requiring encryption downloads from p2p seed --encryption require, and p2p get --encryption require from it",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        const required = { encryption: 2 } as const;
        const encrypted = (direction: string) =>
          new RegExp(
            `^${LOG_TIME}${
              guest.guestAddress.replaceAll(".", "\\.")
            }:\\d+: connected ${direction}, encrypted \\(RC4\\) over TCP$`,
            "m",
          );
        const seed = await startSeed("--encryption", "require");
        const leecher = await startTransmission(torrent, "tr-leech", "tr1", required);
        await waitForSameBytes(original, join(dir, "tr-leech", "film.bin"));
        assert.match(seed.stderr(), encrypted("(from|to)"));
        assert.doesNotMatch(seed.stderr(), /: connected (from|to), plaintext over \w+$/m);
        await stopProcess(leecher);
        await seed.stop();

        await startTransmission(torrent, "tr-leech", "tr2", required);
        const got = await getFromTransmission(
          { dir, guest, original, torrent },
          "--encryption",
          "require",
          "-v",
        );
        assert.match(got.stderr, encrypted("(from|to)"));
        assert.doesNotMatch(got.stderr, /: connected (from|to), plaintext over \w+$/m);
      },
    ),
});

Deno.test({
  name: "interop: Transmission given a magnet link fetches the metadata and the data from p2p seed",
  ignore: !needsTools("transmission-cli") || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(
      async ({ dir, guest, torrent, original, startSeed, startTransmission }) => {
        const seed = await startSeed();
        // The tracker (on our end of the link) is the only way to us: the link names no peers.
        const metainfo = parseMetainfo(await Deno.readFile(torrent));
        const magnet = magnetOf(metainfo);
        assert.match(magnet, /&tr=/);
        assert.doesNotMatch(magnet, /x\.pe=/);
        await startTransmission(magnet, "tr-magnet", "tr-config");
        await waitForSameBytes(original, join(dir, "tr-magnet", "film.bin"));
        assertServed(seed, guest);
        // It keeps the .torrent it built around the info dictionary it fetched from us.
        const rebuilt = await Deno.readFile(
          join(dir, "tr-config", "torrents", `${metainfo.infoHash.hex}.torrent`),
        );
        assert.equal(parseMetainfo(rebuilt).infoHash.hex, metainfo.infoHash.hex);
      },
    ),
});

Deno.test({
  name:
    "interop: Transmission given a magnet link finds a libtorrent seed through p2p tracker and fetches the metadata and the data",
  ignore: !needsTools("transmission-cli", SYSTEM_PYTHON) || !canMakeNetworkNamespaces(),
  fn: () =>
    withTransmissionSwarm(async ({ dir, guest, torrent, original, startTransmission }) => {
      const seed = spawn(
        libtorrentPeer("seed", torrent, join(dir, "original"), 120, { listen: guest.hostAddress }),
      );
      try {
        await waitForOutput(seed, "announced");
        const metainfo = parseMetainfo(await Deno.readFile(torrent));
        await startTransmission(magnetOf(metainfo), "tr-magnet", "tr-config");
        await waitForSameBytes(original, join(dir, "tr-magnet", "film.bin"));
      } finally {
        await stopProcess(seed);
        await seed.stderr.cancel().catch(() => {});
      }
    }),
});
