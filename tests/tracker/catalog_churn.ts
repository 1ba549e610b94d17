/**
 * Run as its own process by catalog_test.ts: opens a catalog in the
 * directory given, publishes the .torrent given, then asks each of the
 * catalog's page queries 20,000 times, and prints how many bytes the
 * process's RSS grew meanwhile. Alone in its process, the figure is the
 * catalog's, not other tests'.
 *
 * @module
 */
import { Catalog, summarizeTorrent } from "../../src/tracker/mod.ts";

const [dir, torrentPath] = Deno.args;
const bytes = await Deno.readFile(torrentPath);
const catalog = await Catalog.open(dir);
const { infoHash } = catalog.publish(bytes, summarizeTorrent(bytes, 10));
const ROUNDS = 20_000;
// One round first, so that what SQLite and V8 set up once is not counted.
const round = () => {
  catalog.search("");
  catalog.entry(infoHash);
  catalog.files(infoHash, 10);
  catalog.metainfo(infoHash);
  catalog.publishedAs(bytes);
};
round();
const before = Deno.memoryUsage().rss;
for (let i = 0; i < ROUNDS; i++) round();
Deno.stdout.writeSync(new TextEncoder().encode(`${Deno.memoryUsage().rss - before}\n`));
catalog.close();
