import { basename, dirname, resolve } from "node:path";
import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { CliEnv } from "../cli/env.ts";
import { makeAndPublish } from "../cli/publish.ts";
import { MAX_TORRENT_FILE_SIZE } from "../cli/read_torrent.ts";
import { parseMetainfo } from "../metainfo/mod.ts";
import { DaemonError } from "./errors.ts";
import type { TorrentRegistry, TorrentSource } from "./registry.ts";
import { sourceFromCatalog, sourceFromText } from "./sources.ts";

/** How often the event stream sends the list: the page's live update. */
export const EVENT_INTERVAL_MS = 1000;

/** Largest request body: a .torrent and a little form around it. */
const MAX_BODY_BYTES = MAX_TORRENT_FILE_SIZE + 64 * 1024;

/** What the daemon says of itself at `GET /api/session`. */
export interface SessionInfo {
  readonly version: string;
  readonly peerPort: number;
  readonly webPort: number;
  readonly downloadDirectory: string;
  readonly dht: boolean;
}

/** What the API routes work on. */
export interface ApiOptions {
  readonly registry: TorrentRegistry;
  /** For the helpers shared with the CLI (fetching a URL, making a torrent). */
  readonly env: CliEnv;
  /** Where torrents go without a `directory`, and what a relative one is below. */
  readonly downloadDirectory: string;
  readonly session: () => SessionInfo;
  /** Aborted when the daemon stops: event streams end. */
  readonly stopping: AbortSignal;
}

/**
 * The JSON API under `/api` (documented in the README): torrents listed,
 * added (magnet link, URL, catalog name, or an uploaded .torrent), paused,
 * resumed and removed, their piece maps, publishing, and a stream of
 * server-sent events. Authentication is checked before these routes run.
 *
 * @example
 * ```ts
 * app.route("/api", apiRoutes({ registry, env, downloadDirectory, session, stopping }));
 * ```
 */
export function apiRoutes(options: ApiOptions): Hono {
  const { registry } = options;
  const api = new Hono();
  // Checked by the declared length, before anything is read. (hono's bodyLimit copies the
  // request, and with it its signal, which Deno warns about on every request.)
  api.use(async (c, next) => {
    const declared = c.req.header("Content-Length");
    if (declared === undefined && c.req.header("Transfer-Encoding") === undefined) {
      return await next();
    }
    const length = Number(declared ?? NaN);
    if (!Number.isSafeInteger(length)) {
      return c.json({ error: "a request body needs a Content-Length" }, 411);
    }
    if (length > MAX_BODY_BYTES) return c.json({ error: "request body too large" }, 413);
    return await next();
  });

  api.get("/session", (c) => c.json({ ...options.session(), ...registry.totals() }));
  api.get("/torrents", (c) => c.json({ torrents: registry.list() }));
  api.post("/torrents", async (c) => {
    const { source, directory, files } = await addRequest(c, options);
    const added = await registry.add(source, directory, files);
    return c.json(added, added.existing ? 200 : 201);
  });
  api.get("/torrents/:hash", (c) => c.json({ torrent: registry.get(c.req.param("hash")) }));
  api.get("/torrents/:hash/pieces", (c) => c.json(registry.pieces(c.req.param("hash"))));
  api.post(
    "/torrents/:hash/pause",
    async (c) => c.json({ torrent: await registry.pause(c.req.param("hash")) }),
  );
  api.post(
    "/torrents/:hash/resume",
    async (c) => c.json({ torrent: await registry.resume(c.req.param("hash")) }),
  );
  api.put("/torrents/:hash/files", async (c) => {
    const { files } = await jsonBody(c);
    return c.json({ torrent: await registry.select(c.req.param("hash"), files) });
  });
  api.delete("/torrents/:hash", async (c) => {
    const deleteData = c.req.query("deleteData");
    if (deleteData !== undefined && deleteData !== "true" && deleteData !== "false") {
      throw new DaemonError(400, "deleteData must be true or false");
    }
    const hash = c.req.param("hash").toLowerCase();
    const deletedFiles = await registry.remove(hash, deleteData === "true");
    return c.json({ removed: hash, deletedFiles });
  });
  api.post("/publish", async (c) => {
    const body = await jsonBody(c);
    const path = requiredText(body, "path");
    const tracker = requiredText(body, "tracker");
    const target = resolve(options.downloadDirectory, path);
    const published = await makeAndPublish(options.env, dirname(target), basename(target), {
      tracker,
      token: optionalText(body, "token"),
      inline: false,
      quiet: true,
    });
    const { torrent } = await registry.add(
      { kind: "metainfo", metainfo: published.torrent },
      dirname(published.target),
    );
    return c.json({ torrent, published: published.added, torrentFile: published.torrentPath }, 201);
  });
  api.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      while (!stream.aborted && !options.stopping.aborted) {
        await stream.writeSSE({
          event: "torrents",
          data: JSON.stringify({ torrents: registry.list() }),
        });
        await stream.writeSSE({
          event: "session",
          data: JSON.stringify({ ...options.session(), ...registry.totals() }),
        });
        await stream.sleep(EVENT_INTERVAL_MS);
      }
    }));
  // Last, so it answers only what no route above took.
  api.all("*", (c) => c.json({ error: `no such API call: ${c.req.method} ${c.req.path}` }, 404));
  return api;
}

/** What `POST /api/torrents` asks for: a JSON body, or a multipart form with a .torrent. */
async function addRequest(
  c: Context,
  options: ApiOptions,
): Promise<{ source: TorrentSource; directory: string; files?: unknown }> {
  const type = c.req.header("Content-Type") ?? "";
  if (/^multipart\/form-data/i.test(type)) {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw new DaemonError(400, "malformed multipart/form-data body");
    }
    const directory = directoryOf(options, form.get("directory") ?? undefined);
    const file = form.get("torrent");
    const text = form.get("source");
    if (file instanceof File) {
      return {
        source: {
          kind: "metainfo",
          metainfo: parseMetainfo(new Uint8Array(await file.arrayBuffer())),
        },
        directory,
      };
    }
    if (typeof text === "string") {
      return { source: await sourceFromText(options.env, text), directory };
    }
    throw new DaemonError(400, "the form needs a torrent file (field torrent) or a source");
  }
  const body = await jsonBody(c);
  const directory = directoryOf(options, body.directory);
  const files = body.files;
  if (typeof body.source === "string") {
    return { source: await sourceFromText(options.env, body.source), directory, files };
  }
  if (typeof body.name === "string") {
    const source = await sourceFromCatalog(
      body.name,
      requiredText(body, "tracker"),
      optionalText(body, "infoHash"),
    );
    return { source, directory, files };
  }
  throw new DaemonError(
    400,
    'give "source" (a magnet link, info hash or URL) or "name" and "tracker"',
  );
}

function directoryOf(options: ApiOptions, given: unknown): string {
  if (given === undefined || given === "") return options.downloadDirectory;
  if (typeof given !== "string") throw new DaemonError(400, "directory must be a string");
  return resolve(options.downloadDirectory, given);
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  if (!/^application\/json/i.test(c.req.header("Content-Type") ?? "")) {
    throw new DaemonError(400, "send a JSON body (Content-Type: application/json)");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new DaemonError(400, "malformed JSON body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DaemonError(400, "the JSON body must be an object");
  }
  return body as Record<string, unknown>;
}

function requiredText(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw new DaemonError(400, `"${key}" is required (a string)`);
  }
  return value;
}

function optionalText(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new DaemonError(400, `"${key}" must be a string`);
  return value;
}
