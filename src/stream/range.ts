/** Bytes `start` to `end` of a resource, both included. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a `Range` header asks of a resource of `size` bytes (RFC 9110,
 * 14.1.2): the whole resource (no header, or one this server ignores, such
 * as another unit or several ranges), one range, or a range that cannot be
 * satisfied (answered 416).
 *
 * @example
 * ```ts
 * parseRange("bytes=100-", 1000); // { start: 100, end: 999 }
 * parseRange("bytes=-10", 1000); // { start: 990, end: 999 }
 * parseRange("bytes=1000-", 1000); // "unsatisfiable"
 * ```
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === null) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Several ranges (multipart answers) are not served: the whole file is an allowed answer.
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    // A suffix: the last N bytes.
    const length = Number(match[2]);
    if (length === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  mkv: "video/x-matroska",
  webm: "video/webm",
  mov: "video/quicktime",
  avi: "video/x-msvideo",
  ts: "video/mp2t",
  ogv: "video/ogg",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  flac: "audio/flac",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  wav: "audio/wav",
  txt: "text/plain; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json",
  pdf: "application/pdf",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  srt: "application/x-subrip",
  vtt: "text/vtt",
};

/**
 * The media type players and browsers expect for a file name's extension;
 * `application/octet-stream` for the rest.
 *
 * @example
 * ```ts
 * contentType("film.mkv"); // "video/x-matroska"
 * ```
 */
export function contentType(name: string): string {
  const extension = /\.([^./]+)$/.exec(name)?.[1].toLowerCase() ?? "";
  return CONTENT_TYPES[extension] ?? "application/octet-stream";
}
