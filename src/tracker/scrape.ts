import { binaryKeyedDict, encode } from "../bencode/mod.ts";
import { TrackerError } from "./errors.ts";
import { binaryStringToBytes } from "./binary_string.ts";
import { queryBinaryString, type RawQuery } from "./query.ts";

/** Most torrents one scrape may ask about. */
export const MAX_SCRAPE_HASHES = 100;

/** A swarm's figures in a scrape answer (BEP 48). */
export interface ScrapeCounts {
  /** Seeders. */
  readonly complete: number;
  /** Leechers. */
  readonly incomplete: number;
  /** Completed downloads ever reported. */
  readonly downloaded: number;
}

/**
 * The info hashes a scrape asks about, as binary strings: one or more
 * `info_hash` of 20 bytes, each once (in the order first asked), since the
 * answer is a dictionary keyed by them and bencode allows no key twice.
 *
 * @throws {TrackerError} when none is given, one is malformed, or too many are.
 * @example
 * ```ts
 * parseScrape(parseQuery("info_hash=%AA...")); // ["\xaa..."]
 * ```
 */
export function parseScrape(query: RawQuery): string[] {
  const hashes = (query.get("info_hash") ?? []).map(queryBinaryString);
  if (hashes.length === 0) throw new TrackerError("scrape needs at least one info_hash");
  if (hashes.length > MAX_SCRAPE_HASHES) {
    throw new TrackerError(`scrape of more than ${MAX_SCRAPE_HASHES} torrents at once`);
  }
  for (const hash of hashes) {
    if (hash.length !== 20) {
      throw new TrackerError(`info_hash must be 20 bytes, got ${hash.length}`);
    }
  }
  return [...new Set(hashes)];
}

/**
 * Encodes a scrape answer: `files` keyed by raw info hash (given as binary strings).
 *
 * @example
 * ```ts
 * encodeScrapeAnswer([["\xaa".repeat(20), { complete: 1, incomplete: 0, downloaded: 3 }]]);
 * ```
 */
export function encodeScrapeAnswer(entries: readonly [string, ScrapeCounts][]): Uint8Array {
  return encode({
    files: binaryKeyedDict(
      entries.map(([hash, counts]) => [binaryStringToBytes(hash), { ...counts }]),
    ),
  });
}
