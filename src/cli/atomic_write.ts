import { basename, dirname, join } from "node:path";
import { CommandError } from "./errors.ts";

/**
 * Writes a whole file so that readers see the old file or the new one, never
 * half of either: the bytes go to a temporary file beside it, which is then
 * renamed over (`overwrite`) or hard-linked into place, which fails if the
 * target appeared meanwhile.
 *
 * @example
 * ```ts
 * await writeFileAtomically("a.torrent", bytes, { overwrite: false });
 * ```
 */
export async function writeFileAtomically(
  path: string,
  bytes: Uint8Array,
  options: { overwrite: boolean },
): Promise<void> {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const temporary = join(dirname(path), `.${basename(path)}.${random}.partial`);
  try {
    await Deno.writeFile(temporary, bytes, { createNew: true });
    if (options.overwrite) {
      await Deno.rename(temporary, path);
    } else {
      await Deno.link(temporary, path).catch((error) => {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new CommandError(`${path} already exists (use --force to overwrite)`);
        }
        throw error;
      });
    }
  } finally {
    await Deno.remove(temporary).catch(() => {});
  }
}
