// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `deno task demo`: the main job, end to end on this machine. For now it
 * makes the report's example eBook.txt, turns it into a .torrent with
 * `p2p make-torrent`, shows it with `p2p info`, and checks the piece hashes
 * against an independent SHA-1 of the file. Exits non-zero on any failure.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ebookText } from "../examples/ebook.ts";
import { parseMetainfo } from "../src/metainfo/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function p2p(cwd: string, ...args: string[]): Promise<void> {
  console.log(`\n$ p2p ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    cwd,
  }).spawn().status;
  if (!status.success) throw new Error(`p2p ${args[0]} exited with ${status.code}`);
}

const dir = await Deno.makeTempDir({ prefix: "p2p-demo-" });
try {
  const ebook = join(dir, "eBook.txt");
  await Deno.writeTextFile(ebook, ebookText());
  console.log(`Wrote ${ebook} (${(await Deno.stat(ebook)).size} bytes)`);
  await p2p(dir, "make-torrent", "eBook.txt", "-t", "http://127.0.0.1:6969/announce", "-l", "512K");
  await p2p(dir, "info", "eBook.txt.torrent");

  const torrent = parseMetainfo(await Deno.readFile(join(dir, "eBook.txt.torrent")));
  const data = await Deno.readFile(ebook);
  for (let piece = 0; piece < torrent.pieceCount; piece++) {
    const bytes = data.subarray(piece * torrent.pieceLength, (piece + 1) * torrent.pieceLength);
    const expected = torrent.pieceHashes.subarray(piece * 20, piece * 20 + 20);
    if (!createHash("sha1").update(bytes).digest().equals(expected)) {
      throw new Error(`piece ${piece} hash does not match the file`);
    }
  }
  console.log(`\nChecked: all ${torrent.pieceCount} piece hashes match eBook.txt. Demo passed.`);
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : error}`);
  Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
