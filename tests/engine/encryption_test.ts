/**
 * Message stream encryption between Clients, by policy: who dials how,
 * what each side accepts, the fallback and its memory, and routing of an
 * encrypted peer among several torrents.
 */
import assert from "node:assert/strict";
import type { EncryptionPolicy } from "../../src/client/mod.ts";
import { BLOCK_SIZE } from "../../src/wire/mod.ts";
import { EngineWorld, settle, testTorrent } from "./engine_helpers.ts";

/** A seed at 10.0.0.1 and a leech at 10.0.0.2 with these policies; their log lines kept. */
async function pair(
  world: EngineWorld,
  seedPolicy: EncryptionPolicy,
  leechPolicy: EncryptionPolicy,
) {
  const { metainfo, data } = testTorrent(16 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  const seedLines: string[] = [];
  const leechLines: string[] = [];
  const seed = world.client("10.0.0.1", {
    seeded: new Map([[metainfo.infoHash.hex, data]]),
    encryption: seedPolicy,
    log: (line) => seedLines.push(line),
  });
  const seeding = await seed.client.add(metainfo, { directory: "/", mode: "read" });
  const leech = world.client("10.0.0.2", {
    encryption: leechPolicy,
    log: (line) => leechLines.push(line),
  });
  const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
  return { metainfo, data, seed, seeding, leech, getting, seedLines, leechLines };
}

const encryptedPeers = (lines: string[]) =>
  lines.filter((line) => line.includes("encrypted (RC4)")).length;
const plaintextPeers = (lines: string[]) =>
  lines.filter((line) => /connected (to|from), plaintext/.test(line)).length;

for (
  const [seedPolicy, leechPolicy, encrypted] of [
    ["prefer", "prefer", true],
    ["require", "prefer", true],
    ["prefer", "require", true],
    ["allow", "allow", false],
    ["off", "allow", false],
    ["require", "allow", true],
    // Offered both after the encrypted handshake, an allow side selects plaintext.
    ["allow", "prefer", false],
  ] as const
) {
  Deno.test(`engine: a ${leechPolicy} leech and a ${seedPolicy} seed connect ${encrypted ? "encrypted" : "in plaintext"} and the download completes`, async () => {
    const world = new EngineWorld();
    try {
      const { seed, getting, data, leech, metainfo, seedLines, leechLines } = await pair(
        world,
        seedPolicy,
        leechPolicy,
      );
      getting.session.connect([seed.endpoint]);
      await settle(() => getting.session.complete);
      assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
      const [peer] = getting.session.peers.values();
      assert.equal(peer.encrypted, encrypted);
      assert.equal(encryptedPeers(seedLines) + encryptedPeers(leechLines), encrypted ? 2 : 0);
    } finally {
      await world.close();
    }
  });
}

Deno.test("engine: a prefer leech falls back to plaintext for an off seed, and dials it in plaintext first the next time", async () => {
  const world = new EngineWorld();
  try {
    const { seed, getting, seedLines, leechLines } = await pair(world, "off", "prefer");
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.equal(seedLines.filter((line) => /refused .*encryption is off/.test(line)).length, 1);
    assert.equal(plaintextPeers(leechLines), 1);
    const [peer] = getting.session.peers.values();
    peer.close("test: reconnect");
    await settle(() => getting.session.peers.size === 0);
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.peers.size === 1);
    await settle();
    assert.equal(
      seedLines.filter((line) => /refused .*encryption is off/.test(line)).length,
      1,
      "no second encrypted attempt",
    );
    assert.equal(plaintextPeers(leechLines), 2);
  } finally {
    await world.close();
  }
});

Deno.test("engine: require and off do not meet, either way round, and each side says why", async () => {
  for (
    const [seedPolicy, leechPolicy, reason] of [
      ["off", "require", /encryption is off/],
      ["require", "off", /plaintext handshake, and encryption is required/],
    ] as const
  ) {
    const world = new EngineWorld();
    try {
      const { seed, getting, seedLines, leechLines } = await pair(world, seedPolicy, leechPolicy);
      getting.session.connect([seed.endpoint]);
      await settle(() => leechLines.some((line) => /could not connect/.test(line)));
      assert.equal(getting.session.peers.size, 0);
      assert.ok(seedLines.some((line) => reason.test(line)), seedLines.join("\n"));
    } finally {
      await world.close();
    }
  }
});

Deno.test("engine: an encrypted peer is routed to the torrent it proves, among several on one port", async () => {
  const world = new EngineWorld();
  try {
    const torrents = [1, 2, 3].map((seed) => testTorrent(8 * BLOCK_SIZE, 2 * BLOCK_SIZE, seed));
    const seed = world.client("10.0.0.1", {
      seeded: new Map(torrents.map(({ metainfo, data }) => [metainfo.infoHash.hex, data])),
      encryption: "require",
    });
    for (const { metainfo } of torrents) {
      await seed.client.add(metainfo, { directory: "/", mode: "read" });
    }
    const leech = world.client("10.0.0.2", { encryption: "require" });
    const { metainfo, data } = torrents[2];
    const getting = await leech.client.add(metainfo, { directory: "/", mode: "write" });
    getting.session.connect([seed.endpoint]);
    await settle(() => getting.session.complete);
    assert.deepEqual(leech.stores.get(metainfo.infoHash.hex)!.bytes, data);
    assert.equal(seed.client.get(torrents[0].metainfo.infoHash)!.session.peers.size, 0);
    assert.equal(seed.client.get(metainfo.infoHash)!.session.peers.size, 1);
  } finally {
    await world.close();
  }
});
