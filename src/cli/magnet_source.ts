import { resolve } from "node:path";
import type { Client, ClientTorrent } from "../client/mod.ts";
import { type MagnetLink, metainfoAround, parseMagnet, type TorrentInfo } from "../metainfo/mod.ts";
import { writeFileAtomically } from "./atomic_write.ts";
import type { CliEnv } from "./env.ts";
import { CommandError, Interrupted } from "./errors.ts";
import { VERSION } from "./version.ts";

/**
 * The magnet link an argument names: a `magnet:` URI, or a bare info hash
 * (40 hex digits or 32 base32 letters) that is not the name of a file.
 *
 * @throws {MetainfoError} for a `magnet:` URI that is malformed, naming what is wrong.
 * @example
 * ```ts
 * const link = await magnetArgument(env, "magnet:?xt=urn:btih:...");
 * ```
 */
export async function magnetArgument(env: CliEnv, text: string): Promise<MagnetLink | undefined> {
  if (/^magnet:/i.test(text)) return parseMagnet(text);
  if (!/^([0-9a-f]{40}|[a-z2-7]{32})$/i.test(text)) return undefined;
  const isFile = await Deno.stat(resolve(env.cwd, text)).then(() => true, () => false);
  return isFile ? undefined : parseMagnet(text);
}

/** How the metadata of a magnet link is fetched. */
export interface MetadataOptions {
  /** Where the data goes (or would go). */
  readonly directory: string;
  /** Give up after this many seconds without the metadata. */
  readonly timeout: number;
  /** Stop at the metadata: open no data (`info`). */
  readonly metadataOnly?: boolean;
  /** Log each verified piece with the peers that sent it. */
  readonly log?: (line: string) => void;
  /** Stops the wait (Ctrl-C). */
  readonly stop: AbortSignal;
  /** The files to download, by index from 0, once they are known (default: all). */
  readonly select?: (info: TorrentInfo) => readonly number[];
  /** Download pieces in order, to play while downloading. */
  readonly sequential?: boolean;
}

/**
 * Joins the swarm of a magnet link (its trackers, its `x.pe` peers) and
 * waits for the torrent's metadata from peers (BEP 9). Unless
 * `metadataOnly`, the data is opened and rechecked once it arrives and the
 * torrent goes on downloading.
 *
 * @throws {CommandError} when no peer gives the metadata in time, or on interrupt;
 * {@link MetainfoError} when the metadata breaks the .torrent rules.
 * @example
 * ```ts
 * const { torrent, info } = await fetchMetadata(env, client, link, { directory: ".", timeout: 60, stop });
 * ```
 */
export async function fetchMetadata(
  env: CliEnv,
  client: Client,
  link: MagnetLink,
  options: MetadataOptions,
): Promise<{ torrent: ClientTorrent; info: TorrentInfo }> {
  const log = options.log;
  const torrent = client.addInfoHash(
    { infoHash: link.infoHash, trackerTiers: link.trackerTiers },
    {
      directory: resolve(env.cwd, options.directory),
      mode: "write",
      inlineRecheck: true,
      metadataOnly: options.metadataOnly,
      select: options.select,
      sequential: options.sequential,
      onPiece: log && ((index, from) => log(`piece ${index} from ${from.join(", ")}`)),
    },
  );
  torrent.session.connect(link.peers);
  torrent.findPeers();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const givingUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const peers = torrent.session.peers.size;
      const unreachable = torrent.unreachable;
      reject(
        new CommandError(
          unreachable && peers === 0
            ? `tracker unreachable: ${unreachable}`
            : peers === 0
            ? `no peers after ${options.timeout} s`
            : `no metadata after ${options.timeout} s from ${peers} connected peers`,
        ),
      );
    }, options.timeout * 1000);
    onAbort = () => reject(new Interrupted(String(options.stop.reason)));
    options.stop.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const info = await Promise.race([torrent.whenMetadata(), givingUp]);
    return { torrent, info };
  } finally {
    clearTimeout(timer);
    options.stop.removeEventListener("abort", onAbort);
  }
}

/**
 * Writes a .torrent around metadata fetched from peers, with the magnet
 * link's trackers, replacing `path` whole or not at all.
 *
 * @example
 * ```ts
 * await saveTorrent(env, "x.torrent", info, link);
 * ```
 */
export async function saveTorrent(
  env: CliEnv,
  path: string,
  info: TorrentInfo,
  link: MagnetLink,
): Promise<void> {
  const bytes = metainfoAround(info.infoBytes, link.trackerTiers, `p2p/${VERSION}`);
  try {
    await writeFileAtomically(resolve(env.cwd, path), bytes, { overwrite: true });
  } catch (error) {
    throw new CommandError(
      `cannot save ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
}
