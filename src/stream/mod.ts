/**
 * Serving a file over HTTP while it downloads: byte ranges, content types,
 * and a body that streams as pieces are verified.
 *
 * @module
 */
export { type ByteRange, contentType, parseRange } from "./range.ts";
export { serveFile, type StreamedFile } from "./server.ts";
