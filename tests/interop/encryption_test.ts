/**
 * Interop with encryption (MSE/PE), both directions, byte for byte, through
 * `p2p tracker`: WebTorrent with its defaults (every connection it dials
 * opens encrypted) against p2p's default `prefer`; python3-libtorrent forced
 * to encrypt and aria2c requiring RC4 against `--encryption require`; and
 * two p2p peers whose policies cannot meet. Transmission requiring
 * encryption is in transmission_test.ts (it needs a namespace of its own).
 * Each side's -v log says how the connection came out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, withTempDir } from "../helpers.ts";
import { LOG_TIME, spawnP2p, spawnTracker } from "../process_helpers.ts";
import {
  aria2cLeech,
  aria2cSeed,
  hasWebTorrent,
  libtorrentPeer,
  run,
  SYSTEM_PYTHON,
  webtorrentLeech,
  webtorrentSeed,
} from "../real_clients.ts";
import { assertSameTree, runGet, waitForSeeders, writeLayout } from "../session/swarm_helpers.ts";
import { albumSwarm, LAYOUT, NAME } from "./album.ts";

/** WebTorrent writes no empty files: the same album without one. */
const WEBTORRENT_LAYOUT = Object.fromEntries(
  Object.entries(LAYOUT).filter(([, size]) => size > 0),
);

/** WebTorrent runs where node and its install are there, and always in CI (missing: a failure). */
const WEBTORRENT_READY = needsTools("node") &&
  (Deno.env.get("CI") !== undefined || hasWebTorrent());

/**
 * The -v log line of a peer that connected (`from`) or was dialled (`to`) over RC4, on TCP: the
 * clients here have uTP off, and p2p dials TCP first (uTP interop is in utp_test.ts).
 */
const ENCRYPTED = (direction: "from" | "to") =>
  new RegExp(
    `^${LOG_TIME}127\\.0\\.0\\.1:\\d+: connected ${direction}, encrypted \\(RC4\\) over TCP$`,
    "m",
  );
/** A plaintext connection's line, over whichever transport. */
const PLAINTEXT = /: connected (from|to), plaintext over \w+$/m;

/** A real client running in the background, its output collected. */
interface Background {
  /** Resolves with the first stdout line matching `pattern`, or rejects after `ms`. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

function startBackground(command: string[]): Background {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, onText: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) onText(text);
  };
  const pumped = Promise.all([
    pump(child.stdout, (text) => (stdout += text)),
    pump(child.stderr, (text) => (stderr += text)),
  ]);
  const exited = child.status;
  return {
    async waitForLine(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      let gone = false;
      exited.then(() => (gone = true));
      while (Date.now() < deadline) {
        const match = stdout.split("\n").map((line) => line.match(pattern)).find((m) => m);
        if (match) return match;
        if (gone) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${command.join(" ")}: no line ${pattern}; stdout:\n${stdout}\n${stderr}`);
    },
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone already
      }
      await exited;
      await pumped;
    },
  };
}

Deno.test({
  name: "interop: WebTorrent (defaults: it dials encrypted) downloads from p2p seed over RC4",
  ignore: !WEBTORRENT_READY,
  async fn() {
    await withTempDir(async (dir) => {
      const swarm = await albumSwarm(dir, 1, { layout: WEBTORRENT_LAYOUT, seedArgs: ["-v"] });
      try {
        const leech = await run(webtorrentLeech(swarm.torrentPath, join(dir, "webtorrent")));
        const said = new TextDecoder().decode(leech.stdout);
        assert.equal(leech.code, 0, said + new TextDecoder().decode(leech.stderr));
        await assertSameTree(swarm.dataPath, join(dir, "webtorrent", NAME));
        assert.match(said, /^wire 127\.0\.0\.1:\d+ rc4 tcpOutgoing$/m);
        assert.match(swarm.seeds[0].stderr(), ENCRYPTED("from"));
        assert.doesNotMatch(swarm.seeds[0].stderr(), PLAINTEXT);
      } finally {
        await swarm.stop();
      }
    });
  },
});

Deno.test({
  name:
    "interop: p2p get downloads from a WebTorrent seed, by default and with --encryption require",
  ignore: !WEBTORRENT_READY,
  async fn() {
    await withTempDir(async (dir) => {
      const { tracker, announceUrl } = await spawnTracker(dir, join(dir, "tracker"));
      await writeLayout(join(dir, "original", NAME), LAYOUT);
      const torrent = join(dir, "webtorrent.torrent");
      const seed = startBackground(
        webtorrentSeed(join(dir, "original", NAME), announceUrl, torrent),
      );
      try {
        await seed.waitForLine(/^seeding [0-9a-f]{40} \d+$/);
        await waitForSeeders(announceUrl, torrent, 1);
        // prefer: dialled encrypted, offering RC4 and plaintext; WebTorrent (secure: 1) selects
        // plaintext when it answers. require: RC4 is all we offer, and it selects that.
        const cases = [
          {
            policy: "prefer",
            ours: new RegExp(
              `^${LOG_TIME}127\\.0\\.0\\.1:\\d+: connected to, plaintext over TCP$`,
              "m",
            ),
            its: "plaintext",
          },
          { policy: "require", ours: ENCRYPTED("to"), its: "rc4" },
        ];
        for (const { policy, ours, its } of cases) {
          const target = join(dir, policy);
          const got = await runGet(dir, torrent, target, "--encryption", policy, "-v");
          assert.equal(got.code, 0, got.stderr);
          await assertSameTree(join(dir, "original", NAME), join(target, NAME));
          assert.match(got.stderr, ours);
          await seed.waitForLine(new RegExp(`^wire 127\\.0\\.0\\.1:\\d+ ${its} tcpIncoming$`));
        }
      } finally {
        await seed.stop();
        await tracker.stop();
      }
    });
  },
});

/** The real clients here that can be made to speak RC4 only, with the options that do it. */
const FORCED = {
  "python3-libtorrent (forced)": {
    tools: [SYSTEM_PYTHON],
    leech: (torrent: string, dir: string) =>
      libtorrentPeer("leech", torrent, dir, 60, { encryption: "forced" }),
    seed: (torrent: string, dir: string) =>
      libtorrentPeer("seed", torrent, dir, 60, { encryption: "forced" }),
  },
  "aria2c (--bt-require-crypto)": {
    tools: ["aria2c"],
    leech: (torrent: string, dir: string) => aria2cLeech(torrent, dir, { requireCrypto: true }),
    seed: (torrent: string, dir: string) => aria2cSeed(torrent, dir, { requireCrypto: true }),
  },
};

for (const [kind, client] of Object.entries(FORCED)) {
  Deno.test({
    name: `interop: ${kind} downloads from p2p seed --encryption require`,
    ignore: !needsTools(...client.tools),
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await albumSwarm(dir, 1, { seedArgs: ["-v", "--encryption", "require"] });
        try {
          const leech = await run(client.leech(swarm.torrentPath, join(dir, "leech")));
          const decoder = new TextDecoder();
          assert.equal(leech.code, 0, decoder.decode(leech.stdout) + decoder.decode(leech.stderr));
          await assertSameTree(swarm.dataPath, join(dir, "leech", NAME));
          assert.match(swarm.seeds[0].stderr(), ENCRYPTED("from"));
          assert.doesNotMatch(swarm.seeds[0].stderr(), PLAINTEXT);
        } finally {
          await swarm.stop();
        }
      });
    },
  });

  Deno.test({
    name: `interop: p2p get --encryption require downloads from ${kind} seeding`,
    ignore: !needsTools(...client.tools),
    async fn() {
      await withTempDir(async (dir) => {
        const swarm = await albumSwarm(dir, 0);
        const seed = startBackground(client.seed(swarm.torrentPath, join(swarm.dataPath, "..")));
        try {
          await waitForSeeders(swarm.announceUrl, swarm.torrentPath, 1);
          const target = join(dir, "leech");
          const got = await runGet(dir, swarm.torrentPath, target, "--encryption", "require", "-v");
          assert.equal(got.code, 0, got.stderr);
          await assertSameTree(swarm.dataPath, join(target, NAME));
          assert.equal(Object.keys(got.summary!.peers).length, 1);
          assert.match(got.stderr, ENCRYPTED("to"));
          assert.doesNotMatch(got.stderr, PLAINTEXT);
        } finally {
          await seed.stop();
          await swarm.stop();
        }
      });
    },
  });
}

/** Policies that cannot meet, and why the seed says it refused the leech. */
const MISMATCHES = [
  { leech: "require", seed: "off", why: /not a BitTorrent handshake \(encryption is off\)/ },
  { leech: "off", seed: "require", why: /a plaintext handshake, and encryption is required/ },
];

for (const { leech, seed, why } of MISMATCHES) {
  Deno.test(`p2p get --encryption ${leech} fails against p2p seed --encryption ${seed}`, async () => {
    await withTempDir(async (dir) => {
      const swarm = await albumSwarm(dir, 1, { seedArgs: ["-v", "--encryption", seed] });
      try {
        const get = spawnP2p(
          dir,
          "get",
          swarm.torrentPath,
          "-d",
          join(dir, "leech"),
          "-q",
          "--encryption",
          leech,
          "--timeout",
          "3",
        );
        const status = await get.child.status;
        await get.stop();
        assert.equal(status.code, 1);
        // One line for the user; the seed's log tells why.
        assert.match(get.stderr(), /^p2p: [^\n]+\n$/);
        assert.match(
          swarm.seeds[0].stderr(),
          new RegExp(`^${LOG_TIME}refused 127\\.0\\.0\\.1:\\d+: ${why.source}$`, "m"),
        );
      } finally {
        await swarm.stop();
      }
    });
  });
}
