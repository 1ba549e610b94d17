/**
 * Helpers for tracker tests: an in-process tracker on a free port with a
 * temporary catalog, and raw announce URLs.
 *
 * @module
 */
import {
  Catalog,
  percentEncode,
  type RunningTracker,
  startTracker,
  type TrackerOptions,
} from "../../src/tracker/mod.ts";
import { type BencodeDict, decode } from "../../src/bencode/mod.ts";

/** A running in-process tracker and what the test needs of it. */
export interface TestTracker extends RunningTracker {
  readonly base: string;
  readonly catalog: Catalog;
  readonly logLines: string[];
}

/** What a test may choose of a tracker's options (the rest are the defaults below). */
export type TestTrackerOptions = Partial<
  Omit<TrackerOptions, "port" | "catalog" | "log" | "signal">
>;

/** Runs `fn` against a fresh tracker on 127.0.0.1 (or `hostname`), stopped afterwards. */
export async function withTracker(
  options: TestTrackerOptions,
  fn: (tracker: TestTracker) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "p2p-tracker-test-" });
  const catalog = await Catalog.open(dir);
  const controller = new AbortController();
  const logLines: string[] = [];
  try {
    const running = await startTracker({
      hostname: "127.0.0.1",
      interval: 1800,
      closed: false,
      trustProxy: false,
      ...options,
      port: 0,
      catalog,
      log: (line) => logLines.push(line),
      signal: controller.signal,
    });
    try {
      await fn({
        ...running,
        base: running.announceUrl.replace(/\/announce$/, ""),
        catalog,
        logLines,
      });
    } finally {
      controller.abort();
      await running.finished;
    }
  } finally {
    catalog.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A 20-byte id filled with one byte value (readable in failures). */
export function id(fill: number): Uint8Array {
  return new Uint8Array(20).fill(fill);
}

/** The query of an announce, every field overridable (null leaves it out). */
export function announceQuery(fields: Record<string, string | Uint8Array | number | null>): string {
  const all: Record<string, string | Uint8Array | number | null> = {
    info_hash: id(0xaa),
    peer_id: id(0x01),
    port: 6881,
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    ...fields,
  };
  return Object.entries(all)
    .filter(([, value]) => value !== null)
    .map(([key, value]) =>
      `${key}=${
        value instanceof Uint8Array ? percentEncode(value) : encodeURIComponent(String(value))
      }`
    ).join("&");
}

/** GETs a tracker path and decodes the bencoded answer. */
export async function getBencoded(url: string): Promise<BencodeDict> {
  const response = await fetch(url);
  const body = new Uint8Array(await response.arrayBuffer());
  return decode(body) as BencodeDict;
}

/** Text of a bencoded string value. */
export function text(value: unknown): string {
  return new TextDecoder().decode(value as Uint8Array);
}
