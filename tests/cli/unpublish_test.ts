import assert from "node:assert/strict";
import { publishTorrent } from "../../src/tracker/mod.ts";
import { runP2p } from "../helpers.ts";
import { withTracker } from "../tracker/tracker_helpers.ts";
import { hashOf, makeTorrent } from "../tracker/web_helpers.ts";

Deno.test("p2p unpublish: by exact name or hash, with the token; refusals in one line", async () => {
  await withTracker({ publishToken: "t0k" }, async ({ base, announceUrl, catalog }) => {
    const ebook = makeTorrent("eBook.txt");
    const notes = makeTorrent("eBook-notes.txt");
    const twin = makeTorrent("twin", [{ path: ["a"], length: 10 }]);
    const twin2 = makeTorrent("twin", [{ path: ["b"], length: 20 }]);
    for (const bytes of [ebook, notes, twin, twin2]) {
      await publishTorrent(base, bytes, { token: "t0k" });
    }
    const cwd = Deno.cwd();

    const noToken = await runP2p(cwd, "unpublish", "eBook.txt", "-t", base);
    assert.equal(noToken.code, 1);
    assert.equal(
      noToken.stderr,
      "p2p: tracker refused: unpublishing needs the tracker's publish token\n",
    );
    const partial = await runP2p(cwd, "unpublish", "eBook", "-t", base, "--token", "t0k");
    assert.equal(partial.code, 1);
    assert.equal(partial.stderr, `p2p: no torrent named "eBook" on tracker ${base}\n`);
    const ambiguous = await runP2p(cwd, "unpublish", "twin", "-t", base, "--token", "t0k");
    assert.equal(ambiguous.code, 1);
    assert.match(
      ambiguous.stderr,
      /2 torrents are named "twin": unpublish one by its info hash\n$/,
    );
    assert.ok(ambiguous.stderr.includes(hashOf(twin)));

    const byName = await runP2p(cwd, "unpublish", "eBook.txt", "-t", announceUrl, "--token", "t0k");
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(byName.stdout, `${hashOf(ebook)}  eBook.txt\n`);
    assert.equal(catalog.has(hashOf(ebook)), false);
    assert.ok(catalog.has(hashOf(notes)), "the partial match stays");

    const hex = hashOf(twin2).toUpperCase();
    const byHash = await runP2p(cwd, "unpublish", hex, "-t", base, "--token", "t0k");
    assert.equal(byHash.code, 0, byHash.stderr);
    assert.equal(byHash.stdout, `${hashOf(twin2)}  twin\n`);
    const again = await runP2p(cwd, "unpublish", hex, "-t", base, "--token", "t0k");
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `p2p: tracker refused: no published torrent ${hashOf(twin2)}\n`);
  });
  await withTracker({}, async ({ base, catalog }) => {
    const bytes = makeTorrent("local.bin");
    await publishTorrent(base, bytes);
    const run = await runP2p(Deno.cwd(), "unpublish", "local.bin", "-t", base);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(catalog.size, 0, "a tracker without a token takes it from its own machine");
  });
});
