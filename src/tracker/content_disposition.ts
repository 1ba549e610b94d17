/**
 * The `content-disposition` header of a download named after a torrent:
 * the name comes from whoever published it, so it is made safe for a
 * header (no quote, backslash or control character can end the value or
 * start a new header) and given twice, as RFC 6266 advises: an ASCII
 * fallback in `filename` and the exact name, percent-encoded, in
 * `filename*`.
 *
 * @example
 * ```ts
 * attachment('say "hi".torrent');
 * // `attachment; filename="say _hi_.torrent"; filename*=UTF-8''say%20%22hi%22.torrent`
 * ```
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
