import { TrackerError } from "./errors.ts";

/**
 * Joins byte arrays into one.
 *
 * @example
 * ```ts
 * concat([new Uint8Array([1]), new Uint8Array([2, 3])]); // [1, 2, 3]
 * ```
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Reads a whole HTTP body, refusing it once it passes `maxBytes` (the
 * stream is cancelled, so a hostile peer cannot fill memory).
 *
 * @throws {TrackerError} "larger than N bytes".
 * @example
 * ```ts
 * const body = await readAtMost(response.body, 4 * 1024 * 1024);
 * ```
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  /** Aborting it ends the read (what arrived so far is returned). */
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new TrackerError(`larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  signal?.removeEventListener("abort", stop);
  return concat(chunks);
}
