import { readAtMost } from "./bytes.ts";
import { TrackerError } from "./errors.ts";

/** Longest a request body may take to arrive: slow clients are cut off. */
export const BODY_TIMEOUT_MS = 10_000;

/**
 * "4 MiB", "1500 bytes": a limit as the person who set it would say it.
 *
 * @example
 * ```ts
 * describeSize(4 * 1024 * 1024); // "4 MiB"
 * ```
 */
export function describeSize(bytes: number): string {
  return bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes % 1024 === 0
    ? `${bytes / 1024} KiB`
    : `${bytes} bytes`;
}

/**
 * The error of a .torrent over the tracker's limit, in the words the
 * publisher sees (over the JSON endpoint and on the publish page alike).
 *
 * @example
 * ```ts
 * throw torrentTooLarge(4 * 1024 * 1024);
 * ```
 */
export function torrentTooLarge(maxTorrentBytes: number): TrackerError {
  return new TrackerError(`the torrent is too large: larger than ${describeSize(maxTorrentBytes)}`);
}

/**
 * A request body up to `maxBytes`, cut off after BODY_TIMEOUT_MS: a body
 * declared or found larger throws `tooLarge()`.
 *
 * @example
 * ```ts
 * const bytes = await readBody(request, limit, () => torrentTooLarge(limit));
 * ```
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  tooLarge: () => TrackerError,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  try {
    return await readAtMost(request.body, maxBytes, AbortSignal.timeout(BODY_TIMEOUT_MS));
  } catch (error) {
    if (error instanceof TrackerError) throw tooLarge();
    throw error;
  }
}
