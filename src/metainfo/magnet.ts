import { fromBase32 } from "./base32.ts";
import { MetainfoError } from "./errors.ts";
import { InfoHash } from "./info_hash.ts";
import type { Metainfo } from "./types.ts";

/**
 * Longest magnet link read: real ones, a few dozen trackers included, are
 * under 4 KiB; every field of a longer one is parsed and held.
 */
export const MAX_MAGNET_LENGTH = 64 * 1024;
/** Most trackers (`tr`) a magnet link may name: each is announced to. */
export const MAX_MAGNET_TRACKERS = 100;
/** Most peers (`x.pe`) a magnet link may name: each is dialled. */
export const MAX_MAGNET_PEERS = 100;
/** Most web seeds (`ws`) a magnet link may name. */
export const MAX_MAGNET_WEB_SEEDS = 100;
/**
 * Most files a `so` (BEP 53) may select: its ranges become a list, and
 * `0-4000000000` is a few characters.
 */
export const MAX_SELECTED_FILES = 100_000;

/** A peer named in a magnet link: the same shape as the transport's `Endpoint`. */
export interface MagnetPeer {
  /** Dotted IPv4 or textual IPv6, without brackets. */
  readonly ip: string;
  readonly port: number;
}

/** A magnet link (BEP 9), read: which torrent, and where to start looking for it. */
export interface MagnetLink {
  readonly infoHash: InfoHash;
  /** `dn`: a name to show until the metadata arrives. */
  readonly name?: string;
  /** `tr`: each its own tier, in the link's order (BEP 12's advice for magnet links). */
  readonly trackerTiers: string[][];
  /** `x.pe`: peers to dial at once. */
  readonly peers: MagnetPeer[];
  /** `ws`: web seeds (BEP 19), http and https only. */
  readonly webSeeds: string[];
  /** `so` (BEP 53): the indices of the files to download, sorted, each once. */
  readonly selectOnly?: number[];
}

/** What {@link formatMagnet} writes: a {@link MagnetLink}, or a torrent, or less. */
export interface MagnetFields {
  readonly infoHash: InfoHash;
  readonly name?: string;
  readonly trackerTiers: readonly (readonly string[])[];
  readonly peers?: readonly MagnetPeer[];
  readonly webSeeds?: readonly string[];
  readonly selectOnly?: readonly number[];
}

const MAGNET_PREFIX = /^magnet:\?/i;
const HEX_HASH = /^[0-9a-f]{40}$/i;
const BASE32_HASH = /^[a-z2-7]{32}$/i;
const BTIH = "urn:btih:";
const BTMH = "urn:btmh:";
const TRACKER_SCHEMES = new Set(["http:", "https:", "udp:"]);
const WEB_SEED_SCHEMES = new Set(["http:", "https:"]);
const DOTTED_IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** A DNS name: never looked up (no lookups from here), only told apart from a bad address. */
const HOST_NAME = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z]([a-z0-9-]*[a-z0-9])?\.?$/i;

/** User input inside a message: on one line, and not the whole of a 64 KiB link. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/**
 * Reads a magnet link (BEP 9): `magnet:?xt=urn:btih:HASH` with `dn`, `tr`
 * (also `tr.1`, `tr.2`, ...), `x.pe`, `ws` and `so` (BEP 53). A bare info
 * hash (40 hex digits or 32 base32 characters) is taken as a link with
 * nothing but the hash. Peers given by host name are skipped: nothing here
 * looks a name up. Unknown parameters are ignored.
 *
 * @throws {MetainfoError} naming what is wrong with the link.
 * @example
 * ```ts
 * const link = parseMagnet("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=x");
 * assertEquals(link.infoHash.hex, "c12fe1c06bba254a9dc9f519b335aa7c1367a88a");
 * ```
 */
export function parseMagnet(text: string): MagnetLink {
  if (text.length > MAX_MAGNET_LENGTH) {
    throw new MetainfoError(
      `the magnet link is ${text.length} characters long; at most ${MAX_MAGNET_LENGTH} are read`,
    );
  }
  const link = text.trim();
  if (HEX_HASH.test(link) || BASE32_HASH.test(link)) {
    return { infoHash: parseHash(link), trackerTiers: [], peers: [], webSeeds: [] };
  }
  if (!MAGNET_PREFIX.test(link)) {
    throw new MetainfoError(
      `not a magnet link (magnet:?xt=urn:btih:...) or an info hash: ${quote(link)}`,
    );
  }
  if (!link.isWellFormed()) throw new MetainfoError("the magnet link is not valid Unicode");
  const parameters = readParameters(link.slice("magnet:?".length));
  const values = (key: string, max = Infinity, what = "") => {
    const raw = parameters.get(key) ?? [];
    if (raw.length > max) {
      throw new MetainfoError(
        `the magnet link names ${raw.length} ${what}; at most ${max} are read`,
      );
    }
    return raw.map((value) => decode(value, key));
  };
  const infoHash = readInfoHash(values("xt"));
  // `+` is a space in names only, as web pages write them; in a URL it is itself.
  const name = (parameters.get("dn") ?? []).map((raw) => decode(raw.replaceAll("+", " "), "dn"))
    .find((value) => value !== "");
  const trackers = values("tr", MAX_MAGNET_TRACKERS, "trackers (tr)");
  const peers = values("x.pe", MAX_MAGNET_PEERS, "peers (x.pe)");
  const webSeeds = values("ws", MAX_MAGNET_WEB_SEEDS, "web seeds (ws)");
  const selections = values("so");
  return {
    infoHash,
    ...(name === undefined ? {} : { name }),
    // Trackers of kinds p2p does not speak (WebTorrent's wss://) are left out, not refused.
    trackerTiers: unique(trackers).filter((url) => {
      if (!isUrlOf(url, ANY_SCHEME)) {
        throw new MetainfoError(`tracker ${quote(url)} in the magnet link is not a URL`);
      }
      return isUrlOf(url, TRACKER_SCHEMES);
    }).map((url) => [url]),
    peers: readPeers(peers),
    webSeeds: unique(webSeeds).map((url) => {
      if (!isUrlOf(url, WEB_SEED_SCHEMES)) {
        throw new MetainfoError(
          `web seed ${quote(url)} in the magnet link is not an http or https URL`,
        );
      }
      return url;
    }),
    ...(selections.length === 0 ? {} : { selectOnly: parseSelection(selections.join(",")) }),
  };
}

/**
 * The raw values of each parameter, in order, by lower-case key; a numbered
 * key (`tr.1`, `xt.2`: the magnet form of a repeated key) counts as its base.
 */
function readParameters(query: string): Map<string, string[]> {
  const parameters = new Map<string, string[]>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const rawKey = equals < 0 ? part : part.slice(0, equals);
    const key = rawKey.toLowerCase().replace(/\.\d+$/, "");
    const value = equals < 0 ? "" : part.slice(equals + 1);
    const list = parameters.get(key);
    if (list) list.push(value);
    else parameters.set(key, [value]);
  }
  return parameters;
}

function decode(raw: string, key: string): string {
  const escape = /%(?![0-9a-f]{2})/i.exec(raw);
  if (escape) {
    throw new MetainfoError(
      `bad percent escape ${
        quote(raw.slice(escape.index, escape.index + 3))
      } in the magnet link's ${key}`,
    );
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MetainfoError(`the magnet link's ${key} ${quote(raw)} is not UTF-8 once decoded`);
  }
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Every scheme, for {@link isUrlOf}. */
const ANY_SCHEME = { has: () => true } as const;

/** A `scheme://host...` URL of one of `schemes` (`http:foo` parses, but names no host). */
function isUrlOf(text: string, schemes: { has(scheme: string): boolean }): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return false;
  try {
    const url = new URL(text);
    return schemes.has(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}

function parseHash(text: string): InfoHash {
  if (text.length === 40) {
    if (!HEX_HASH.test(text)) {
      throw new MetainfoError(`the info hash ${quote(text)} is not 40 hex digits`);
    }
    return InfoHash.fromHex(text);
  }
  if (text.length === 32) {
    const bytes = fromBase32(text);
    if (!bytes) throw new MetainfoError(`the info hash ${quote(text)} is not 32 base32 characters`);
    return InfoHash.fromBytes(bytes);
  }
  throw new MetainfoError(
    `an info hash is 40 hex digits or 32 base32 characters, not ${text.length}: ${quote(text)}`,
  );
}

/** The one v1 info hash among the exact topics (other kinds are skipped). */
function readInfoHash(topics: string[]): InfoHash {
  if (topics.length === 0) {
    throw new MetainfoError("the magnet link has no xt=urn:btih:... (which torrent it is)");
  }
  const hashes = new Map<string, InfoHash>();
  let v2 = false;
  for (const topic of topics) {
    const kind = topic.slice(0, BTIH.length).toLowerCase();
    if (kind === BTIH) {
      const hash = parseHash(topic.slice(BTIH.length));
      hashes.set(hash.hex, hash);
    }
    v2 ||= kind === BTMH;
  }
  const [first, second] = hashes.values();
  if (second) {
    throw new MetainfoError(
      `the magnet link names two different torrents: urn:btih:${first.hex} and urn:btih:${second.hex}`,
    );
  }
  if (first) return first;
  throw new MetainfoError(
    v2
      ? "v2-only magnet links are not supported (urn:btmh: without a urn:btih: info hash)"
      : "the magnet link has no BitTorrent info hash (xt=urn:btih:...)",
  );
}

function readPeers(texts: string[]): MagnetPeer[] {
  const peers = new Map<string, MagnetPeer>();
  for (const text of texts) {
    const peer = parsePeer(text);
    if (peer) peers.set(formatPeer(peer), peer);
  }
  return [...peers.values()];
}

/** A peer from `ip:port` or `[ipv6]:port`; null for a host name, which is never looked up. */
function parsePeer(text: string): MagnetPeer | null {
  const bad = () =>
    new MetainfoError(
      `peer ${quote(text)} (x.pe) in the magnet link is not IPv4:PORT or [IPv6]:PORT`,
    );
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!match) throw bad();
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw bad();
  const [, v6, host] = match;
  if (v6 !== undefined) {
    const ip = canonicalIpv6(v6);
    if (ip === null) throw bad();
    return { ip, port };
  }
  const ip = canonicalIpv4(host);
  if (ip !== null) return { ip, port };
  if (HOST_NAME.test(host)) return null;
  throw bad();
}

function canonicalIpv4(text: string): string | null {
  const parts = DOTTED_IPV4.exec(text)?.slice(1).map(Number);
  return parts && parts.every((part) => part <= 255) ? parts.join(".") : null;
}

/** The address as the URL standard writes it (RFC 5952), or null; the URL parser only checks syntax. */
function canonicalIpv6(text: string): string | null {
  if (!/^[0-9a-f:.]+$/i.test(text)) return null;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

function formatPeer({ ip, port }: MagnetPeer): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** BEP 53's `so`: indices and inclusive ranges, `0,2,4-6`, as the sorted list of indices. */
function parseSelection(text: string): number[] {
  const ranges: [number, number][] = [];
  for (const item of text.split(",")) {
    const match = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(item);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || last < first) {
      throw new MetainfoError(
        `so ${
          quote(text)
        } in the magnet link is not a list of file indices and ranges like 0,2,4-6`,
      );
    }
    ranges.push([first, last]);
  }
  // Merged before counting, so overlapping ranges count each index once.
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [first, last] of ranges) {
    const previous = merged.at(-1);
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else merged.push([first, last]);
  }
  const count = merged.reduce((sum, [first, last]) => sum + last - first + 1, 0);
  if (count > MAX_SELECTED_FILES) {
    throw new MetainfoError(
      `so in the magnet link selects ${count} files; at most ${MAX_SELECTED_FILES} are read`,
    );
  }
  const indices: number[] = [];
  for (const [first, last] of merged) for (let i = first; i <= last; i++) indices.push(i);
  return indices;
}

function formatSelection(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const items: string[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end++;
    items.push(end === start ? `${sorted[start]}` : `${sorted[start]}-${sorted[end]}`);
    start = end + 1;
  }
  return items.join(",");
}

/** `&key=value`, the value percent-encoded (a lone surrogate, which cannot be, as U+FFFD). */
function parameter(key: string, value: string): string {
  return `&${key}=${encodeURIComponent(value.toWellFormed())}`;
}

/**
 * Writes a magnet link: `magnet:?xt=urn:btih:HEX`, then `dn`, every tracker
 * of every tier in order (once each), `x.pe`, `ws` and `so` when given.
 * {@link parseMagnet} reads it back to the same fields when they are ones
 * it accepts (http, https and udp trackers, IP peers, at most
 * {@link MAX_MAGNET_TRACKERS}, ... within {@link MAX_MAGNET_LENGTH});
 * {@link magnetOf} keeps a torrent's link within them.
 *
 * @example
 * ```ts
 * const text = formatMagnet({ infoHash, name: "eBook.txt", trackerTiers: [[announceUrl]] });
 * assertEquals(parseMagnet(text).name, "eBook.txt");
 * ```
 */
export function formatMagnet(link: MagnetFields): string {
  let text = `magnet:?xt=${BTIH}${link.infoHash.hex}`;
  if (link.name) text += parameter("dn", link.name);
  for (const url of unique(link.trackerTiers.flat())) text += parameter("tr", url);
  // Peers unescaped: libtorrent reads x.pe without percent-decoding it, and
  // an address holds nothing a query must escape.
  for (const peer of link.peers ?? []) text += `&x.pe=${formatPeer(peer)}`;
  for (const url of link.webSeeds ?? []) text += parameter("ws", url);
  if (link.selectOnly?.length) text += `&so=${formatSelection(link.selectOnly)}`;
  return text;
}

/**
 * A torrent's magnet link: its info hash, name and trackers (a
 * {@link Metainfo}, or as much as a catalog keeps of one). Only trackers
 * a magnet link may carry are kept (http, https, udp; the first
 * {@link MAX_MAGNET_TRACKERS}), and the name and trackers only as far as
 * the link stays within {@link MAX_MAGNET_LENGTH}: whatever the torrent
 * holds, its link is one {@link parseMagnet} reads.
 *
 * @example
 * ```ts
 * magnetOf(parseMetainfo(bytes)); // "magnet:?xt=urn:btih:...&dn=eBook.txt&tr=http%3A%2F%2F..."
 * ```
 */
export function magnetOf(torrent: Pick<Metainfo, "infoHash" | "name" | "trackerTiers">): string {
  const bare = formatMagnet({ infoHash: torrent.infoHash, trackerTiers: [] }).length;
  const nameLength = parameter("dn", torrent.name).length;
  const named = bare + nameLength <= MAX_MAGNET_LENGTH;
  let length = named ? bare + nameLength : bare;
  const trackers: string[] = [];
  for (const url of unique(torrent.trackerTiers.flat())) {
    if (trackers.length === MAX_MAGNET_TRACKERS) break;
    const added = parameter("tr", url).length;
    if (!isUrlOf(url, TRACKER_SCHEMES) || length + added > MAX_MAGNET_LENGTH) continue;
    trackers.push(url);
    length += added;
  }
  return formatMagnet({
    infoHash: torrent.infoHash,
    ...(named ? { name: torrent.name } : {}),
    trackerTiers: trackers.map((url) => [url]),
  });
}
