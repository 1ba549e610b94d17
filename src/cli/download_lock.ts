import { join } from "node:path";
import type { InfoHash } from "../metainfo/mod.ts";
import { CommandError } from "./errors.ts";

/**
 * Holds a download's target against a second p2p downloading the same
 * torrent into the same directory at once (two writers would race on its
 * files and each other's rechecks): a lock file `.p2p-<info hash>.lock`
 * there, holding our process id. A lock whose process is gone (killed with
 * SIGKILL, say) is taken over. A directory where no lock can be written
 * gets none: the download then fails on its files with the exact reason.
 *
 * @returns the release, which removes the lock file.
 * @throws {CommandError} naming the process that holds it.
 * @example
 * ```ts
 * const release = await lockDownload("/downloads", infoHash, "eBook.txt");
 * try { ... } finally { await release(); }
 * ```
 */
export async function lockDownload(
  directory: string,
  infoHash: InfoHash,
  name: string,
): Promise<() => Promise<void>> {
  // A directory that cannot be written holds no lock; opening its files says why, precisely.
  const unlockable = async () => {};
  if (!(await Deno.mkdir(directory, { recursive: true }).then(() => true, () => false))) {
    return unlockable;
  }
  const path = join(directory, `.p2p-${infoHash.hex}.lock`);
  const ours = `${Deno.pid}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, ours, { createNew: true });
      return async () => {
        // Only our own lock goes: another process may have taken over a stale one.
        if (await Deno.readTextFile(path).catch(() => "") === ours) {
          await Deno.remove(path).catch(() => {});
        }
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) return unlockable;
    }
    const holder = Number.parseInt(await Deno.readTextFile(path).catch(() => ""), 10);
    if (Number.isInteger(holder) && holder !== Deno.pid && isRunning(holder)) {
      throw new CommandError(
        `${name} is already being downloaded into ${directory} by another p2p (process ${holder})`,
      );
    }
    await Deno.remove(path).catch(() => {});
  }
  throw new CommandError(`cannot lock ${path}: another p2p keeps taking it`);
}

/** Whether a process with this id exists (Linux: its /proc entry). */
function isRunning(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
