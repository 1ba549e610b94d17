import assert from "node:assert/strict";
import { describeTorrent, type TorrentSnapshot } from "../../src/daemon/mod.ts";

const running: TorrentSnapshot = {
  infoHash: "ab".repeat(20),
  name: "x.bin",
  directory: "/d",
  addedAt: 0,
  source: "torrent",
  phase: "running",
  paused: false,
  size: 1000,
  pieceCount: 4,
  verifiedPieces: 1,
  verifiedBytes: 250,
  checkedBytes: 1000,
  complete: false,
  downloaded: 250,
  uploaded: 0,
  downloadRate: 100,
  uploadRate: 0,
  peers: 3,
  seeders: 2,
};

Deno.test("describeTorrent: state, progress, ETA and swarm for each phase", () => {
  const cases: [string, Partial<TorrentSnapshot>, string, number, number | null][] = [
    ["downloading", {}, "downloading", 0.25, 8],
    ["stalled", { downloadRate: 0 }, "downloading", 0.25, null],
    ["seeding", { complete: true, verifiedBytes: 1000 }, "seeding", 1, null],
    ["paused", { paused: true, phase: "stopped" }, "paused", 0.25, null],
    ["checking", { phase: "checking", checkedBytes: 500 }, "checking", 0.5, null],
    [
      "magnet",
      { phase: "metadata", size: undefined, name: undefined },
      "fetching metadata",
      0,
      null,
    ],
    [
      "error over paused",
      { phase: "error", paused: true, error: "disk full" },
      "error",
      0.25,
      null,
    ],
  ];
  for (const [what, change, state, progress, eta] of cases) {
    const view = describeTorrent({ ...running, ...change });
    assert.equal(view.state, state, what);
    assert.equal(view.progress, progress, what);
    assert.equal(view.eta, eta, what);
  }
  const magnet = describeTorrent({
    ...running,
    phase: "metadata",
    size: undefined,
    name: undefined,
  });
  assert.equal(magnet.name, running.infoHash);
  assert.equal(magnet.size, null);
  assert.equal(describeTorrent(running).leechers, 1);
  assert.equal(
    describeTorrent({ ...running, phase: "error", error: "disk full" }).error,
    "disk full",
  );
  assert.equal(describeTorrent({ ...running, error: "old" }).error, undefined);
});
