import { resolve } from "node:path";
import type { Client, ClientTorrent } from "../client/mod.ts";
import { lockDownload } from "../cli/download_lock.ts";
import {
  type InfoHash,
  type MagnetLink,
  type Metainfo,
  metainfoAround,
  parseMagnet,
  parseMetainfo,
  pieceSize,
  selectionMask,
  type TorrentInfo,
  wantedPieces,
} from "../metainfo/mod.ts";
import { dataStamps, piecesOf, type ResumeData } from "../storage/mod.ts";
import { deleteTorrentData } from "./data_files.ts";
import { DaemonError } from "./errors.ts";
import { PieceMap, type PieceMapJson } from "./piece_map.ts";
import type { SavedTorrent, StateStore } from "./state_store.ts";
import { describeTorrent, type TorrentSnapshot, type TorrentView } from "./view.ts";

/** Where a torrent comes from: its metainfo, or a magnet link whose metadata peers will give. */
export type TorrentSource =
  | { readonly kind: "metainfo"; readonly metainfo: Metainfo }
  | { readonly kind: "magnet"; readonly link: MagnetLink; readonly text: string };

/** Counters of a torrent's earlier runs (before a pause or restart of its session). */
interface Totals {
  downloaded: number;
  uploaded: number;
}

/** One torrent the daemon holds, running or not. */
interface Entry {
  readonly infoHash: InfoHash;
  readonly directory: string;
  readonly addedAt: number;
  paused: boolean;
  metainfo?: Metainfo;
  magnet?: { readonly link: MagnetLink; readonly text: string };
  phase: TorrentSnapshot["phase"];
  error?: string;
  /** Its session in the Client, while running. */
  torrent?: ClientTorrent;
  pieceMap?: PieceMap;
  checkedBytes: number;
  /** Verified pieces and bytes when it last stopped, shown while paused. */
  stoppedAt: { pieces: number; bytes: number };
  totals: Totals;
  /** Releases the download's lock file, while running. */
  unlock?: () => Promise<void>;
  /** Counts starts and stops, so a start that finishes after a pause changes nothing. */
  generation: number;
  /** The files it downloads, by index from 0, in order; every file when undefined. */
  files?: readonly number[];
  /**
   * Its data as it was when it last stopped: the next start trusts those
   * pieces if no file changed since, instead of rechecking them. Dropped
   * once used, and when its selection changes.
   */
  resume?: ResumeData;
}

/** What the registry needs of its surroundings. */
export interface RegistryOptions {
  readonly client: Client;
  readonly store: StateStore;
  /** Our client name and version, written into .torrents made of fetched metadata. */
  readonly createdBy: string;
  /** One line per notable event (a failed save, say). */
  readonly log: (line: string) => void;
}

/**
 * The daemon's torrents: each added to the one Client, started, paused,
 * resumed and removed, with its piece map, and the list saved at every
 * change. A paused torrent is out of the Client (its connections closed,
 * `stopped` announced, its files closed) but keeps its place here; resuming
 * adds it again. What it had verified is kept with the stamps (size, last
 * change) of its files as they were closed, at a pause and when the daemon
 * stops: a start whose files all have those stamps still trusts those
 * pieces; one whose files changed while nothing watched them rechecks them.
 */
export class TorrentRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #options: RegistryOptions;
  #closed = false;

  /**
   * @example
   * ```ts
   * const registry = new TorrentRegistry({ client, store, createdBy: "p2p/0.1.0", log });
   * ```
   */
  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /**
   * Holds the torrents saved by an earlier run, each started unless paused.
   * One that cannot be read is logged and left out.
   */
  restore(saved: readonly SavedTorrent[]): void {
    for (const torrent of saved) {
      try {
        const source: TorrentSource = torrent.torrent
          ? { kind: "metainfo", metainfo: parseMetainfo(torrent.torrent) }
          : { kind: "magnet", link: parseMagnet(torrent.magnet ?? ""), text: torrent.magnet ?? "" };
        const entry = this.#hold(source, torrent.directory, torrent.paused, torrent.addedAt);
        entry.stoppedAt = { ...torrent.verified };
        entry.files = torrent.files;
        entry.resume = torrent.resume;
        if (!entry.paused) this.#start(entry);
      } catch (error) {
        this.#options.log(`left out saved torrent ${torrent.infoHash}: ${messageOf(error)}`);
      }
    }
  }

  /**
   * Adds a torrent and starts it: its data below `directory` is rechecked
   * (a magnet link's once peers gave its metadata), then it downloads and
   * seeds.
   *
   * @returns its view, and whether it was held already (then nothing changed).
   */
  async add(
    source: TorrentSource,
    directory: string,
    files?: unknown,
  ): Promise<{ torrent: TorrentView; existing: boolean }> {
    const infoHash = source.kind === "metainfo" ? source.metainfo.infoHash : source.link.infoHash;
    const held = this.#entries.get(infoHash.hex);
    if (held) return { torrent: this.#view(held), existing: true };
    // A magnet link's file count is known with its metadata: its selection is checked then.
    const chosen = files === undefined
      ? undefined
      : checkedFiles(files, source.kind === "metainfo" ? source.metainfo.files.length : Infinity);
    const entry = this.#hold(source, resolve(directory), false, Date.now());
    entry.files = chosen;
    await this.#save();
    this.#start(entry);
    return { torrent: this.#view(entry), existing: false };
  }

  /** Every torrent, oldest first. */
  list(): TorrentView[] {
    return [...this.#entries.values()].map((entry) => this.#view(entry));
  }

  /**
   * One torrent, with its files once known.
   *
   * @throws {DaemonError} 404 when it is not held.
   */
  get(
    hash: string,
  ): TorrentView & { files: { path: string; length: number; selected: boolean }[] } {
    const entry = this.#find(hash);
    const selected = entry.metainfo &&
      selectionMask(entry.metainfo.files.length, entry.files);
    const files = entry.metainfo?.files.map((file, index) => ({
      path: entry.metainfo!.multiFile ? file.path.join("/") : entry.metainfo!.name,
      length: file.length,
      selected: selected![index],
    }));
    return { ...this.#view(entry), files: files ?? [] };
  }

  /**
   * Chooses the files a torrent downloads (by index from 0, as `files`
   * lists them): a running one fetches what the new ones lack at once, and
   * the choice is kept for later runs.
   *
   * @throws {DaemonError} 404 when it is not held; 409 before its metadata is known; 400 for
   * indexes that are not its files, or none.
   */
  async select(hash: string, files: unknown): Promise<TorrentView> {
    const entry = this.#find(hash);
    const info = entry.metainfo;
    if (!info) throw new DaemonError(409, "its files are not known yet (fetching its metadata)");
    const chosen = checkedFiles(files, info.files.length);
    entry.files = chosen.length === info.files.length ? undefined : chosen;
    // What was verified under another selection is rechecked under this one.
    entry.resume = undefined;
    // A stopped torrent takes it when it starts; a running one now.
    if (entry.torrent?.info) await entry.torrent.select(chosen);
    await this.#save();
    return this.#view(entry);
  }

  /**
   * Which peer sent each verified piece.
   *
   * @throws {DaemonError} 404 when it is not held.
   */
  pieces(hash: string): PieceMapJson {
    const entry = this.#find(hash);
    return entry.pieceMap?.toJSON() ?? { pieceCount: 0, owners: "", onDisk: 0, peers: [] };
  }

  /** Totals over every torrent: rates now, and how many are held. */
  totals(): { torrents: number; downloadRate: number; uploadRate: number } {
    let downloadRate = 0;
    let uploadRate = 0;
    for (const entry of this.#entries.values()) {
      const stats = entry.torrent?.session.stats();
      downloadRate += stats?.downloadRate ?? 0;
      uploadRate += stats?.uploadRate ?? 0;
    }
    return { torrents: this.#entries.size, downloadRate, uploadRate };
  }

  /**
   * Pauses a torrent: out of the Client (its peers closed, `stopped`
   * announced), its verified state kept for the list. Pausing twice is harmless.
   *
   * @throws {DaemonError} 404 when it is not held.
   */
  async pause(hash: string): Promise<TorrentView> {
    const entry = this.#find(hash);
    if (!entry.paused) {
      entry.paused = true;
      await this.#stop(entry);
      await this.#save();
    }
    return this.#view(entry);
  }

  /**
   * Resumes a paused torrent, or retries one that failed: added to the
   * Client again, its data rechecked unless its files are as it left them.
   *
   * @throws {DaemonError} 404 when it is not held.
   */
  async resume(hash: string): Promise<TorrentView> {
    const entry = this.#find(hash);
    if (entry.paused || entry.phase === "error") {
      entry.paused = false;
      await this.#stop(entry);
      await this.#save();
      this.#start(entry);
    }
    return this.#view(entry);
  }

  /**
   * Removes a torrent; with `deleteData`, its own files too (see
   * {@link deleteTorrentData}).
   *
   * @returns how many files were deleted.
   * @throws {DaemonError} 404 when it is not held.
   */
  async remove(hash: string, deleteData: boolean): Promise<number> {
    const entry = this.#find(hash);
    this.#entries.delete(entry.infoHash.hex);
    await this.#stop(entry);
    await this.#save();
    return deleteData && entry.metainfo
      ? await deleteTorrentData(entry.metainfo, entry.directory)
      : 0;
  }

  /**
   * Stops every torrent (their `stopped` announces) and the Client, then
   * saves the list with what each running torrent had verified and its
   * files' stamps, so that the next run need not recheck them.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    for (const entry of entries) entry.generation++;
    await this.#options.client.close();
    for (const entry of entries) await this.#keepResume(entry);
    await this.#save();
    await Promise.all(entries.map((entry) => entry.unlock?.()));
  }

  /**
   * Keeps a stopped torrent's verified pieces with its files' stamps (see
   * {@link ResumeData}); nothing for one that failed or never opened its data.
   */
  async #keepResume(entry: Entry): Promise<void> {
    const have = entry.torrent?.session.have;
    const info = entry.torrent?.info;
    if (!have || !info || entry.phase === "error") return;
    try {
      entry.resume = { verified: piecesOf(have), stamps: await dataStamps(info, entry.directory) };
    } catch (error) {
      this.#options.log(`${this.#nameOf(entry)}: no resume data (${messageOf(error)})`);
    }
  }

  #find(hash: string): Entry {
    if (!/^[0-9a-fA-F]{40}$/.test(hash)) {
      throw new DaemonError(404, `no torrent ${hash}: an info hash is 40 hex digits`);
    }
    const entry = this.#entries.get(hash.toLowerCase());
    if (!entry) throw new DaemonError(404, `no torrent ${hash.toLowerCase()}`);
    return entry;
  }

  #hold(source: TorrentSource, directory: string, paused: boolean, addedAt: number): Entry {
    const entry: Entry = {
      infoHash: source.kind === "metainfo" ? source.metainfo.infoHash : source.link.infoHash,
      directory,
      addedAt,
      paused,
      metainfo: source.kind === "metainfo" ? source.metainfo : undefined,
      magnet: source.kind === "magnet" ? { link: source.link, text: source.text } : undefined,
      phase: "stopped",
      checkedBytes: 0,
      stoppedAt: { pieces: 0, bytes: 0 },
      totals: { downloaded: 0, uploaded: 0 },
      generation: 0,
    };
    if (entry.metainfo) entry.pieceMap = new PieceMap(entry.metainfo.pieceCount);
    this.#entries.set(entry.infoHash.hex, entry);
    return entry;
  }

  /** Starts a torrent in the background; a failure puts it in state `error` with the reason. */
  #start(entry: Entry): void {
    const generation = ++entry.generation;
    entry.error = undefined;
    entry.phase = entry.metainfo ? "checking" : "metadata";
    this.#run(entry, generation).catch(async (error) => {
      if (entry.generation !== generation) return;
      entry.phase = "error";
      entry.error = messageOf(error);
      this.#options.log(`${this.#nameOf(entry)}: ${entry.error}`);
      // A magnet link's session outlives bad metadata from peers: it must leave the Client too.
      await this.#stop(entry);
    });
  }

  async #run(entry: Entry, generation: number): Promise<void> {
    const current = () => entry.generation === generation && !this.#closed;
    const client = this.#options.client;
    entry.checkedBytes = 0;
    entry.unlock = await lockDownload(entry.directory, entry.infoHash, this.#nameOf(entry));
    if (!current()) return await this.#release(entry);
    const options = {
      directory: entry.directory,
      mode: "write" as const,
      // Other torrents are served meanwhile: the recheck stays off this thread.
      inlineRecheck: false,
      resume: entry.resume,
      onCheckProgress: (bytes: number) => entry.checkedBytes += bytes,
      onPiece: (index: number, from: string[]) => entry.pieceMap?.record(index, from),
      // Every file unless a selection was made (before a pause or restart).
      select: entry.files && ((info: TorrentInfo) => checkedFiles(entry.files, info.files.length)),
    };
    let torrent: ClientTorrent;
    if (entry.metainfo) {
      torrent = await client.add(entry.metainfo, options);
      if (!current()) return;
      entry.torrent = torrent;
    } else {
      const { link } = entry.magnet!;
      torrent = client.addInfoHash(
        { infoHash: link.infoHash, trackerTiers: link.trackerTiers },
        options,
      );
      entry.torrent = torrent;
      torrent.session.connect(link.peers);
      torrent.findPeers();
      const info = await torrent.whenMetadata();
      if (!current()) return;
      // From now on the torrent is known by its .torrent: a restart needs no peers for it.
      entry.metainfo = parseMetainfo(
        metainfoAround(info.infoBytes, link.trackerTiers, this.#options.createdBy),
      );
      entry.pieceMap = new PieceMap(info.pieceCount);
      await this.#save();
    }
    // Used: the files change from now on, and a pause or shutdown stamps them again.
    entry.resume = undefined;
    entry.pieceMap!.matchVerified(torrent.session.have!);
    entry.phase = "running";
    torrent.findPeers();
    torrent.session.failed.catch(async (error) => {
      if (!current()) return;
      entry.phase = "error";
      entry.error = messageOf(error);
      await this.#stop(entry);
    });
  }

  /** Takes a torrent out of the Client, keeping what the list shows of it. */
  async #stop(entry: Entry): Promise<void> {
    entry.generation++;
    const torrent = entry.torrent;
    await this.#options.client.remove(entry.infoHash);
    if (torrent) {
      const stats = torrent.session.stats();
      entry.stoppedAt = { pieces: stats.verifiedPieces, bytes: stats.verifiedBytes };
      entry.totals.downloaded += stats.downloaded;
      entry.totals.uploaded += stats.uploaded;
      // Its files are closed: their stamps now are what the next start compares.
      await this.#keepResume(entry);
      entry.torrent = undefined;
    }
    if (entry.phase !== "error") entry.phase = "stopped";
    await this.#release(entry);
  }

  async #release(entry: Entry): Promise<void> {
    const unlock = entry.unlock;
    entry.unlock = undefined;
    await unlock?.();
  }

  #nameOf(entry: Entry): string {
    return entry.metainfo?.name ?? entry.magnet?.link.name ?? entry.infoHash.hex;
  }

  #view(entry: Entry): TorrentView {
    const session = entry.torrent?.session;
    const stats = session?.stats();
    let seeders = 0;
    for (const peer of session?.peers.values() ?? []) {
      if (peer.hasAll || peer.have?.complete) seeders++;
    }
    const verifiedPieces = stats?.verifiedPieces ?? entry.stoppedAt.pieces;
    // A running session counts its selection's bytes; a stopped torrent's are counted here.
    let selectedSize = entry.files && session?.wantedBytes;
    if (entry.files && selectedSize === undefined && entry.metainfo) {
      const info = entry.metainfo;
      const wanted = wantedPieces(info, info.files, selectionMask(info.files.length, entry.files));
      selectedSize = 0;
      wanted.forEach((flag, index) => selectedSize! += flag ? pieceSize(info, index) : 0);
    }
    return describeTorrent({
      infoHash: entry.infoHash.hex,
      name: entry.metainfo?.name ?? entry.magnet?.link.name,
      directory: entry.directory,
      addedAt: entry.addedAt,
      source: entry.magnet ? "magnet" : "torrent",
      phase: entry.phase,
      paused: entry.paused,
      error: entry.error,
      size: entry.metainfo?.totalLength,
      selectedSize,
      left: session?.bytesLeft,
      pieceCount: entry.metainfo?.pieceCount ?? 0,
      verifiedPieces,
      verifiedBytes: stats?.verifiedBytes ?? entry.stoppedAt.bytes,
      checkedBytes: entry.checkedBytes,
      complete: session?.info
        ? session.finished
        : entry.metainfo !== undefined && verifiedPieces === entry.metainfo.pieceCount,
      downloaded: entry.totals.downloaded + (stats?.downloaded ?? 0),
      uploaded: entry.totals.uploaded + (stats?.uploaded ?? 0),
      downloadRate: stats?.downloadRate ?? 0,
      uploadRate: stats?.uploadRate ?? 0,
      peers: stats?.peers ?? 0,
      seeders,
    });
  }

  async #save(): Promise<void> {
    const saved: SavedTorrent[] = [...this.#entries.values()].map((entry) => {
      const stats = entry.torrent?.session.stats();
      return {
        infoHash: entry.infoHash.hex,
        torrent: entry.metainfo &&
          metainfoAround(
            entry.metainfo.infoBytes,
            entry.metainfo.trackerTiers,
            this.#options.createdBy,
          ),
        magnet: entry.magnet?.text,
        directory: entry.directory,
        paused: entry.paused,
        addedAt: entry.addedAt,
        verified: stats
          ? { pieces: stats.verifiedPieces, bytes: stats.verifiedBytes }
          : entry.stoppedAt,
        files: entry.files,
        resume: entry.resume,
      };
    });
    try {
      await this.#options.store.save(saved);
    } catch (error) {
      this.#options.log(`cannot save ${this.#options.store.path}: ${messageOf(error)}`);
    }
  }
}

/**
 * File indexes (from 0) as asked for, checked against a torrent of
 * `fileCount` files: one or more, each a file of it, sorted and without
 * repeats.
 *
 * @throws {DaemonError} 400 otherwise.
 */
function checkedFiles(files: unknown, fileCount: number): number[] {
  if (!Array.isArray(files) || files.length === 0) {
    throw new DaemonError(400, "files must be a list of one or more file indexes (from 0)");
  }
  for (const index of files) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= fileCount) {
      throw new DaemonError(400, `file ${JSON.stringify(index)} is not one of 0-${fileCount - 1}`);
    }
  }
  return [...new Set(files as number[])].sort((a, b) => a - b);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
