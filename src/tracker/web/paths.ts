/**
 * Which request paths the tracker's web pages answer. Apart from the pages
 * themselves so that the tracker can route without loading them: they load
 * on the first page request (a tracker that only answers announces never
 * carries them).
 *
 * @module
 */

/**
 * Whether a request path is one of the web pages' (the tracker routes only
 * these to the web app, after announce and scrape).
 *
 * @example
 * ```ts
 * isWebPath("/stats"); // true
 * isWebPath("/announce"); // false
 * ```
 */
export function isWebPath(path: string): boolean {
  return path === "/" || path === "/publish" || path === "/stats" || path === "/stats.json" ||
    path === "/metrics" || path.startsWith("/torrent/") || path.startsWith("/static/") ||
    /^\/torrents\/[0-9a-fA-F]{40}$/.test(path);
}
