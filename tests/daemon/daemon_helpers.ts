/**
 * Helpers for the daemon tests: an in-process daemon on loopback port 0
 * with its own Client, a seed Client serving a torrent through a tracker,
 * and an API caller that says which credential it uses.
 *
 * @module
 */
import { join } from "node:path";
import { Client, trackerSource } from "../../src/client/mod.ts";
import type { CliEnv } from "../../src/cli/env.ts";
import { type RunningDaemon, startDaemon } from "../../src/daemon/mod.ts";
import { createMetainfo, type Metainfo, parseMetainfo } from "../../src/metainfo/mod.ts";
import { pieceHashesOf, testBytes } from "../helpers.ts";

/** A daemon for a test, and how to call its API. */
export interface TestDaemon extends RunningDaemon {
  readonly base: string;
  /** A call with the bearer token (unless `headers` sets Authorization). */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  readonly logLines: string[];
}

/** A CLI environment for code the daemon shares with the CLI. */
export function testEnv(cwd: string): CliEnv {
  return {
    args: [],
    cwd,
    stdout: { write: () => {} },
    stderr: { write: () => {} },
    interactive: false,
    now: () => new Date(),
    stopRequested: () => new AbortController().signal,
  };
}

/** A Client on loopback for tests: TCP only, peers from trackers, an upload limit if asked. */
export function loopbackClient(maxUploadRate?: number): Client {
  return Client.listen({
    host: "127.0.0.1",
    port: 0,
    clientName: "p2p/test",
    datagrams: false,
    peerSources: [trackerSource()],
    maxUploadRate,
  });
}

/** Starts a daemon keeping its state in `folder` and downloading into `downloads`. */
export async function startTestDaemon(folder: string, downloads: string): Promise<TestDaemon> {
  const logLines: string[] = [];
  await Deno.mkdir(downloads, { recursive: true });
  const daemon = await startDaemon({
    env: testEnv(downloads),
    client: loopbackClient(),
    folder,
    downloadDirectory: downloads,
    webHost: "127.0.0.1",
    webPort: 0,
    version: "0.1.0",
    dht: false,
    log: (line) => logLines.push(line),
  });
  const base = `http://127.0.0.1:${daemon.port}`;
  return {
    ...daemon,
    close: () => daemon.close(),
    base,
    logLines,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: { Authorization: `Bearer ${daemon.token}`, ...headers },
      };
      if (body instanceof FormData) init.body = body;
      else if (typeof body === "string") init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)["Content-Type"] = "application/json";
      }
      const response = await fetch(`${base}/api${path}`, init);
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : {} };
    },
  };
}

/** Runs `fn` with a daemon in a fresh temporary directory, closed afterwards. */
export async function withDaemon(
  fn: (daemon: TestDaemon, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "p2p-daemon-test-" });
  const daemon = await startTestDaemon(join(dir, "state"), join(dir, "downloads"));
  try {
    await fn(daemon, dir);
  } finally {
    await daemon.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `files` (name to bytes) below `root/name` and returns the torrent of them. */
export async function makeTorrent(
  root: string,
  name: string,
  files: Record<string, Uint8Array> | Uint8Array,
  announce: string[],
  pieceLength = 16 * 1024,
): Promise<{ metainfo: Metainfo; bytes: Uint8Array }> {
  let data: Uint8Array;
  let layout: Parameters<typeof createMetainfo>[0]["layout"];
  if (files instanceof Uint8Array) {
    data = files;
    await Deno.mkdir(root, { recursive: true });
    await Deno.writeFile(join(root, name), files);
    layout = { kind: "single", length: files.length };
  } else {
    const entries = Object.entries(files);
    const parts: Uint8Array[] = [];
    for (const [path, content] of entries) {
      await Deno.mkdir(join(root, name, path, ".."), { recursive: true });
      await Deno.writeFile(join(root, name, path), content);
      parts.push(content);
    }
    data = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
    layout = {
      kind: "multi",
      files: entries.map(([path, content]) => ({ path: path.split("/"), length: content.length })),
    };
  }
  const bytes = createMetainfo({
    name,
    layout,
    pieceLength,
    pieceHashes: pieceHashesOf(data, pieceLength),
    trackers: announce,
  });
  return { metainfo: parseMetainfo(bytes), bytes };
}

/** A seed serving `metainfo` from `directory`, announcing to its trackers. */
export async function startSeed(
  metainfo: Metainfo,
  directory: string,
  maxUploadRate?: number,
): Promise<Client> {
  const seed = loopbackClient(maxUploadRate);
  const torrent = await seed.add(metainfo, { directory, mode: "read" });
  torrent.findPeers();
  return seed;
}

/** Waits until `check` holds, polling every 50 ms, or fails after `ms`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A magnet link of `hex` with one tracker. */
export function magnetOf(hex: string, tracker: string): string {
  return `magnet:?xt=urn:btih:${hex}&tr=${encodeURIComponent(tracker)}`;
}

/**
 * `pack/{a,b,c}.bin` under `origin`, three files of 30,000 bytes (`seed`
 * picks their contents) in 16 KiB pieces, so each shares a piece with its
 * neighbour, seeded by a Client of its own: what the file choice tests
 * choose from.
 */
export async function seededPack(origin: string, tracker: string, seed: number) {
  const contents = [
    testBytes(30_000, seed),
    testBytes(30_000, seed + 1),
    testBytes(30_000, seed + 2),
  ];
  const pack = await makeTorrent(origin, "pack", {
    "a.bin": contents[0],
    "b.bin": contents[1],
    "c.bin": contents[2],
  }, [tracker]);
  const client = await startSeed(pack.metainfo, origin);
  return { contents, hash: pack.metainfo.infoHash.hex, client };
}
