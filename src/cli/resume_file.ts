import { join } from "node:path";
import type { InfoHash } from "../metainfo/mod.ts";
import { type ResumeData, resumeFromJson, resumeToJson } from "../storage/mod.ts";
import { writeFileAtomically } from "./atomic_write.ts";

/**
 * What `p2p seed` found of a torrent's data, kept in the data directory as
 * `resume/<info hash>.json`: the next seed of the same files skips the
 * recheck while nobody has changed them (see {@link ResumeData}). Only a
 * cache: a file that is missing or does not read costs a recheck, never an
 * error.
 */
function resumePath(dataDirectory: string, infoHash: InfoHash): string {
  return join(dataDirectory, "resume", `${infoHash.hex}.json`);
}

/**
 * The saved resume data of a torrent, if any reads.
 *
 * @example
 * ```ts
 * const resume = await loadResumeFile("/home/me/.local/share/p2p", metainfo.infoHash);
 * ```
 */
export async function loadResumeFile(
  dataDirectory: string,
  infoHash: InfoHash,
): Promise<ResumeData | undefined> {
  try {
    return resumeFromJson(JSON.parse(await Deno.readTextFile(resumePath(dataDirectory, infoHash))));
  } catch {
    return undefined;
  }
}

/**
 * Saves a torrent's resume data, replacing what was there.
 *
 * @throws {Error} when the data directory cannot be written (the caller says so and goes on).
 */
export async function saveResumeFile(
  dataDirectory: string,
  infoHash: InfoHash,
  resume: ResumeData,
): Promise<void> {
  const path = resumePath(dataDirectory, infoHash);
  await Deno.mkdir(join(dataDirectory, "resume"), { recursive: true });
  const bytes = new TextEncoder().encode(JSON.stringify(resumeToJson(resume)));
  await writeFileAtomically(path, bytes, { overwrite: true });
}
