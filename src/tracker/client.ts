import type { InfoHash } from "../metainfo/mod.ts";
import type { CatalogEntry } from "./catalog.ts";
import {
  type AnnounceParameters,
  type AnnounceResponse,
  buildAnnounceUrl,
  parseAnnounceResponse,
  parseScrapeResponse,
  scrapeUrlOf,
} from "./client_protocol.ts";
import { readAtMost } from "./bytes.ts";
import { TrackerError } from "./errors.ts";
import { percentEncode } from "./query.ts";
import type { ScrapeCounts } from "./scrape.ts";
import { udpAnnounce, udpScrape } from "./udp_client.ts";

/** How long one tracker request may take before it counts as failed. */
export const DEFAULT_TRACKER_TIMEOUT_MS = 10_000;
/** Extra attempts after a network failure, timeout or server error. */
export const DEFAULT_TRACKER_RETRIES = 2;
/** First pause between attempts; it doubles each time. */
const FIRST_RETRY_DELAY_MS = 500;
/** Largest tracker answer read: a hostile tracker cannot fill memory. */
export const MAX_TRACKER_ANSWER_BYTES = 4 * 1024 * 1024;

/** Timeout and retries for tracker requests. */
export interface TrackerRequestOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** A search result from a tracker's catalog, with its magnet link (naming that tracker). */
export type CatalogSearchResult = CatalogEntry & {
  magnet: string;
  seeders: number;
  leechers: number;
};

/**
 * Why an HTTP request failed, as a short phrase for people: Deno's `fetch`
 * says only "fetch failed" and keeps the reason in the error's cause.
 *
 * @example
 * ```ts
 * await fetch(url).catch((error) => say(`cannot fetch ${url}: ${describeFetchFailure(error)}`));
 * ```
 */
export function describeFetchFailure(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "no answer in time";
  if (error instanceof TypeError) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (
      cause?.code === "ECONNREFUSED" || /refused/i.test(String(cause?.message ?? error.message))
    ) {
      return "connection refused";
    }
    return (cause?.message ?? error.message).replace(/^error sending request[^:]*: /, "");
  }
  return error instanceof Error ? error.message : String(error);
}

class RetryableError extends Error {}

/**
 * One HTTP request to a tracker with a timeout, retried with backoff on
 * network errors, timeouts and 5xx answers. Returns the status and body.
 */
async function request(
  url: string,
  init: RequestInit,
  options: TrackerRequestOptions,
): Promise<{ status: number; body: Uint8Array }> {
  const retries = options.retries ?? DEFAULT_TRACKER_RETRIES;
  const where = url.split("?")[0];
  for (let attempt = 0;; attempt++) {
    try {
      const response = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TRACKER_TIMEOUT_MS),
      });
      const body = await readAtMost(response.body, MAX_TRACKER_ANSWER_BYTES);
      if (response.status >= 500) throw new RetryableError(`HTTP ${response.status}`);
      return { status: response.status, body };
    } catch (error) {
      if (error instanceof TrackerError) {
        throw new TrackerError(`tracker ${where}: ${error.message}`);
      }
      const reason = error instanceof RetryableError ? error.message : describeFetchFailure(error);
      if (attempt >= retries) {
        throw new TrackerError(
          `tracker ${where} unreachable: ${reason} (${attempt + 1} attempt${attempt ? "s" : ""})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_DELAY_MS * 2 ** attempt));
    }
  }
}

/** `udp://` URLs go to BEP 15; every other is HTTP. */
const isUdp = (url: string) => /^udp:\/\//i.test(url);

/**
 * Announces to one tracker URL, HTTP(S) or UDP (BEP 15).
 *
 * @throws {TrackerError} when it cannot be reached or refuses (its `failure reason`).
 * @example
 * ```ts
 * const { peers, interval } = await announce("http://127.0.0.1:6969/announce", parameters);
 * ```
 */
export async function announce(
  announceUrl: string,
  parameters: AnnounceParameters,
  options: TrackerRequestOptions = {},
): Promise<AnnounceResponse> {
  if (isUdp(announceUrl)) return await udpAnnounce(announceUrl, parameters);
  const { body } = await request(buildAnnounceUrl(announceUrl, parameters), {}, options);
  try {
    return parseAnnounceResponse(body);
  } catch (error) {
    if (error instanceof TrackerError) {
      throw new TrackerError(`tracker ${announceUrl}: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Announces through BEP 12 tiers: the trackers of a tier are tried in
 * order and the one that answers moves to the front of its tier; the next
 * tier is tried only when a whole tier fails.
 *
 * @example
 * ```ts
 * const announcer = new TieredAnnouncer(torrent.trackerTiers);
 * const { url, response } = await announcer.announce(parameters);
 * ```
 */
export class TieredAnnouncer {
  readonly #tiers: string[][];

  constructor(tiers: readonly (readonly string[])[], readonly options: TrackerRequestOptions = {}) {
    this.#tiers = tiers.map((tier) => [...tier]);
  }

  /** Announces to the first tracker that answers; throws the last failure if none does. */
  async announce(
    parameters: AnnounceParameters,
  ): Promise<{ url: string; response: AnnounceResponse }> {
    if (this.#tiers.length === 0) throw new TrackerError("the torrent names no tracker");
    const failures: string[] = [];
    for (const tier of this.#tiers) {
      for (const [index, url] of tier.entries()) {
        try {
          const response = await announce(url, parameters, this.options);
          tier.splice(index, 1);
          tier.unshift(url);
          return { url, response };
        } catch (error) {
          if (!(error instanceof TrackerError)) throw error;
          failures.push(error.message);
        }
      }
    }
    throw new TrackerError(failures.join("; "));
  }
}

/**
 * Scrapes one tracker (BEP 48, or BEP 15 for `udp://`) for several torrents.
 *
 * @example
 * ```ts
 * (await scrape(announceUrl, [infoHash])).get(infoHash.hex);
 * ```
 */
export async function scrape(
  announceUrl: string,
  infoHashes: readonly InfoHash[],
  options: TrackerRequestOptions = {},
): Promise<Map<string, ScrapeCounts>> {
  if (isUdp(announceUrl)) return await udpScrape(announceUrl, infoHashes);
  const base = scrapeUrlOf(announceUrl);
  if (!base) throw new TrackerError(`tracker ${announceUrl} has no scrape URL`);
  const query = infoHashes.map((hash) => `info_hash=${percentEncode(hash.bytes)}`).join("&");
  const { body } = await request(`${base}${base.includes("?") ? "&" : "?"}${query}`, {}, options);
  return parseScrapeResponse(body);
}

/**
 * The catalog's base URL for a tracker given as its announce URL or its
 * root (`http://host:6969`, `http://host:6969/announce`).
 *
 * @example
 * ```ts
 * catalogUrl("http://127.0.0.1:6969/announce"); // "http://127.0.0.1:6969"
 * ```
 */
export function catalogUrl(tracker: string): string {
  let url: URL;
  try {
    url = new URL(tracker);
  } catch {
    throw new TrackerError(`not a tracker URL: ${tracker}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrackerError(`not an HTTP tracker URL: ${tracker}`);
  }
  const path = url.pathname.replace(/\/announce$/, "").replace(/\/$/, "");
  return `${url.origin}${path}`;
}

async function catalogJson<T>(
  url: string,
  init: RequestInit,
  options: TrackerRequestOptions,
): Promise<T> {
  const { status, body } = await request(url, init, options);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new TrackerError(
      `tracker ${url} answered HTTP ${status} without JSON (is it a p2p tracker?)`,
    );
  }
  if (status >= 400) {
    const reason = (value as { error?: string })?.error ?? `HTTP ${status}`;
    throw new TrackerError(`tracker refused: ${reason}`);
  }
  return value as T;
}

/**
 * Publishes a .torrent to a tracker's catalog.
 *
 * @throws {TrackerError} when the tracker is unreachable or refuses (its reason).
 * @example
 * ```ts
 * await publishTorrent("http://127.0.0.1:6969", bytes, { peerName: "client2" });
 * ```
 */
export function publishTorrent(
  tracker: string,
  bytes: Uint8Array,
  details: { token?: string; peerName?: string } & TrackerRequestOptions = {},
): Promise<{ infoHash: string; name: string; added: boolean }> {
  const headers: Record<string, string> = { "content-type": "application/x-bittorrent" };
  if (details.token) headers.authorization = `Bearer ${details.token}`;
  if (details.peerName) headers["x-p2p-peer-name"] = details.peerName;
  return catalogJson(`${catalogUrl(tracker)}/torrents`, {
    method: "POST",
    headers,
    body: bytes as Uint8Array<ArrayBuffer>,
  }, details);
}

/**
 * Removes a torrent from a tracker's catalog (`DELETE /torrents/<hash>`):
 * with the tracker's publish token, or without one from the tracker's own
 * machine when it has none.
 *
 * @throws {TrackerError} when the tracker is unreachable or refuses (its reason).
 * @example
 * ```ts
 * await unpublishTorrent("http://127.0.0.1:6969", hex, { token: "s3cret" });
 * ```
 */
export function unpublishTorrent(
  tracker: string,
  infoHashHex: string,
  details: { token?: string } & TrackerRequestOptions = {},
): Promise<{ infoHash: string; name: string }> {
  const headers: Record<string, string> = {};
  if (details.token) headers.authorization = `Bearer ${details.token}`;
  return catalogJson(`${catalogUrl(tracker)}/torrents/${infoHashHex}`, {
    method: "DELETE",
    headers,
  }, details);
}

/**
 * Searches a tracker's catalog by name.
 *
 * @example
 * ```ts
 * const results = await searchCatalog("http://127.0.0.1:6969", "ebook");
 * ```
 */
export function searchCatalog(
  tracker: string,
  text: string,
  options: TrackerRequestOptions = {},
): Promise<CatalogSearchResult[]> {
  return catalogJson(`${catalogUrl(tracker)}/torrents?q=${encodeURIComponent(text)}`, {}, options);
}

/**
 * Downloads the exact .torrent bytes a catalog holds for an info hash.
 *
 * @example
 * ```ts
 * const bytes = await downloadCatalogTorrent("http://127.0.0.1:6969", hex);
 * ```
 */
export async function downloadCatalogTorrent(
  tracker: string,
  infoHashHex: string,
  options: TrackerRequestOptions = {},
): Promise<Uint8Array> {
  const url = `${catalogUrl(tracker)}/torrents/${infoHashHex}.torrent`;
  const { status, body } = await request(url, {}, options);
  if (status === 404) throw new TrackerError(`tracker has no torrent ${infoHashHex}`);
  if (status !== 200) throw new TrackerError(`tracker ${url} answered HTTP ${status}`);
  return body;
}
