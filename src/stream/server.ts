import { contentType, parseRange } from "./range.ts";

/** Bytes a response reads at a time: a stream moves as its pieces are verified. */
const CHUNK_BYTES = 64 * 1024;

/** A file to serve while it downloads. */
export interface StreamedFile {
  /** Its name (for the content type and the URL path). */
  readonly name: string;
  readonly size: number;
  /** Fills `target` with the file's bytes from `offset` on, waiting until they are here. */
  read(offset: number, target: Uint8Array): Promise<void>;
}

/**
 * Answers one HTTP request for `file`: `GET` and `HEAD` of `/` (or
 * `/NAME`), with single byte ranges (206 and `Content-Range`, 416 when
 * unsatisfiable), the body streamed as the bytes arrive and read no faster
 * than the client takes them.
 *
 * @example
 * ```ts
 * Deno.serve({ hostname: "127.0.0.1", port: 0 }, (request) => serveFile(file, request));
 * ```
 */
export function serveFile(file: StreamedFile, request: Request): Response {
  const path = decodeURIComponent(new URL(request.url).pathname);
  if (path !== "/" && path !== `/${file.name}`) {
    return new Response("not found\n", { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("only GET and HEAD\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const headers = new Headers({
    "accept-ranges": "bytes",
    "content-type": contentType(file.name),
  });
  const range = parseRange(request.headers.get("range"), file.size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${file.size}`);
    return new Response(null, { status: 416, headers });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? file.size - 1;
  headers.set("content-length", String(end - start + 1));
  if (range) headers.set("content-range", `bytes ${start}-${end}/${file.size}`);
  const status = range ? 206 : 200;
  if (request.method === "HEAD" || end < start) return new Response(null, { status, headers });
  return new Response(byteStream(file, start, end), { status, headers });
}

/** The file's bytes `start` to `end`, read chunk by chunk as the reader pulls. */
function byteStream(file: StreamedFile, start: number, end: number): ReadableStream<Uint8Array> {
  let position = start;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const length = Math.min(CHUNK_BYTES, end + 1 - position);
      const chunk = new Uint8Array(length);
      await file.read(position, chunk);
      position += length;
      controller.enqueue(chunk);
      if (position > end) controller.close();
    },
  }, { highWaterMark: 0 });
}
