import { Buffer } from "node:buffer";
import { join } from "node:path";
import { writeFileAtomically } from "../cli/atomic_write.ts";
import { type ResumeData, resumeFromJson, resumeToJson } from "../storage/mod.ts";
import { DaemonError } from "./errors.ts";

/** The daemon's state file, in its folder of the data directory. */
export const STATE_FILE = "torrents.json";
/** The format of the state file; a newer one is refused rather than misread. */
const STATE_VERSION = 1;

/**
 * One torrent the daemon holds, as saved: where it came from (the .torrent's
 * bytes, or the magnet link while its metadata is unknown), where its data
 * goes, and whether it is paused.
 */
export interface SavedTorrent {
  readonly infoHash: string;
  /** The .torrent's bytes; for a magnet link, made from its metadata once fetched. */
  readonly torrent?: Uint8Array;
  /** The magnet link, while no .torrent is known. */
  readonly magnet?: string;
  readonly directory: string;
  readonly paused: boolean;
  /** Milliseconds since the epoch. */
  readonly addedAt: number;
  /** Verified pieces and their bytes when saved: what a paused torrent shows after a restart. */
  readonly verified: { readonly pieces: number; readonly bytes: number };
  /** The files it downloads, by index from 0; every file when absent. */
  readonly files?: readonly number[];
  /** What it had verified when it stopped, with its files' stamps then (fast resume). */
  readonly resume?: ResumeData;
}

/**
 * The list of torrents in `folder/torrents.json`, read at start and
 * replaced whole (temporary file, then rename) at every change, so a crash
 * leaves the old list or the new one.
 */
export class StateStore {
  readonly path: string;
  /** Saves one at a time, in order: a late save never overwrites a newer one. */
  #tail: Promise<void> = Promise.resolve();

  /**
   * @example
   * ```ts
   * const store = new StateStore("/home/me/.local/share/p2p/daemon");
   * const saved = await store.load();
   * ```
   */
  constructor(readonly folder: string) {
    this.path = join(folder, STATE_FILE);
  }

  /**
   * The saved torrents; none when nothing was saved yet.
   *
   * @throws {DaemonError} naming the file when it is not a state file of ours.
   */
  async load(): Promise<SavedTorrent[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    try {
      return parseState(JSON.parse(text));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DaemonError(
        400,
        `${this.path} is not a daemon state file (${reason}); move it away to start with no torrents`,
      );
    }
  }

  /** Replaces the saved list with `torrents`, after any save still under way. */
  save(torrents: readonly SavedTorrent[]): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(formatState(torrents), null, 1) + "\n");
    const job = this.#tail.then(async () => {
      await Deno.mkdir(this.folder, { recursive: true });
      await writeFileAtomically(this.path, bytes, { overwrite: true });
    });
    this.#tail = job.catch(() => {});
    return job;
  }
}

function formatState(torrents: readonly SavedTorrent[]) {
  return {
    version: STATE_VERSION,
    torrents: torrents.map((saved) => ({
      infoHash: saved.infoHash,
      torrent: saved.torrent && Buffer.from(saved.torrent).toString("base64"),
      magnet: saved.torrent ? undefined : saved.magnet,
      directory: saved.directory,
      paused: saved.paused,
      addedAt: saved.addedAt,
      verified: saved.verified,
      files: saved.files,
      resume: saved.resume && resumeToJson(saved.resume),
    })),
  };
}

function parseState(value: unknown): SavedTorrent[] {
  if (!isRecord(value) || value.version !== STATE_VERSION || !Array.isArray(value.torrents)) {
    throw new Error(`expected {"version": ${STATE_VERSION}, "torrents": [...]}`);
  }
  return value.torrents.map((entry, index) => {
    const where = `torrent ${index + 1}`;
    if (!isRecord(entry)) throw new Error(`${where} is not an object`);
    const { infoHash, torrent, magnet, directory, paused, addedAt, verified, files, resume } =
      entry;
    if (typeof infoHash !== "string" || !/^[0-9a-f]{40}$/.test(infoHash)) {
      throw new Error(`${where} has no info hash`);
    }
    if (typeof directory !== "string" || directory === "") {
      throw new Error(`${where} has no directory`);
    }
    if (typeof torrent !== "string" && typeof magnet !== "string") {
      throw new Error(`${where} has neither a torrent nor a magnet link`);
    }
    if (files !== undefined && !(Array.isArray(files) && files.every(isCount))) {
      throw new Error(`${where} has files that are not indexes`);
    }
    return {
      infoHash,
      torrent: typeof torrent === "string"
        ? new Uint8Array(Buffer.from(torrent, "base64"))
        : undefined,
      magnet: typeof magnet === "string" ? magnet : undefined,
      directory,
      paused: paused === true,
      addedAt: typeof addedAt === "number" ? addedAt : 0,
      verified: {
        pieces: isRecord(verified) && isCount(verified.pieces) ? verified.pieces : 0,
        bytes: isRecord(verified) && isCount(verified.bytes) ? verified.bytes : 0,
      },
      files: files as number[] | undefined,
      resume: resumeFromJson(resume),
    };
  });
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
