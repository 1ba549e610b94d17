import { matchesOf } from "../cli/fetch.ts";
import type { CliEnv } from "../cli/env.ts";
import { readTorrentFile } from "../cli/read_torrent.ts";
import { parseMagnet, parseMetainfo } from "../metainfo/mod.ts";
import { downloadCatalogTorrent, searchCatalog } from "../tracker/mod.ts";
import { DaemonError } from "./errors.ts";
import type { TorrentSource } from "./registry.ts";

/**
 * The torrent a text names, as `p2p get` reads its argument: a magnet link
 * or bare info hash, or the http(s) URL of a .torrent (a tracker catalog's
 * `/torrents/<hash>.torrent`). Files on the daemon's disk are not read: a
 * .torrent is uploaded instead.
 *
 * @throws {DaemonError} 400 for anything else; {@link MetainfoError} for a
 * malformed link or torrent; {@link TrackerError} when the URL cannot be fetched.
 * @example
 * ```ts
 * const source = await sourceFromText(env, "magnet:?xt=urn:btih:...");
 * ```
 */
export async function sourceFromText(env: CliEnv, text: string): Promise<TorrentSource> {
  const given = text.trim();
  if (/^magnet:/i.test(given) || /^([0-9a-f]{40}|[a-z2-7]{32})$/i.test(given)) {
    const link = parseMagnet(given);
    if (link.selectOnly) {
      throw new DaemonError(400, "this magnet link selects files (so=), which p2p cannot do yet");
    }
    return { kind: "magnet", link, text: given };
  }
  if (/^https?:\/\//i.test(given)) {
    return { kind: "metainfo", metainfo: await readTorrentFile(env, given) };
  }
  throw new DaemonError(
    400,
    "source must be a magnet link, an info hash or the http(s) URL of a .torrent",
  );
}

/**
 * The torrent published as `name` in a tracker's catalog, found as `p2p
 * fetch` finds it: an exact name wins, else a unique partial match, else
 * `infoHash` chooses among several.
 *
 * @throws {DaemonError} 404 when nothing matches, 409 listing the matches
 * when several do; {@link TrackerError} when the tracker fails.
 */
export async function sourceFromCatalog(
  name: string,
  tracker: string,
  infoHash?: string,
): Promise<TorrentSource> {
  const results = await searchCatalog(tracker, name);
  let candidates;
  try {
    candidates = matchesOf(results, name, tracker);
  } catch (error) {
    throw new DaemonError(404, error instanceof Error ? error.message : String(error));
  }
  const wanted = infoHash?.toLowerCase();
  const chosen = wanted
    ? candidates.find((result) => result.infoHash === wanted)
    : candidates.length === 1
    ? candidates[0]
    : undefined;
  if (!chosen) {
    if (wanted) {
      throw new DaemonError(404, `no torrent ${wanted} named like "${name}" on ${tracker}`);
    }
    throw new DaemonError(
      409,
      `several torrents match "${name}": ${
        candidates.map((result) => `${result.name} (${result.infoHash})`).join(", ")
      }; choose one with infoHash`,
    );
  }
  const bytes = await downloadCatalogTorrent(tracker, chosen.infoHash);
  return { kind: "metainfo", metainfo: parseMetainfo(bytes) };
}
