import { InfoHash, magnetOf, MetainfoError } from "../metainfo/mod.ts";
import {
  type AnnounceAnswer,
  type AnnounceRequest,
  DEFAULT_NUMWANT,
  encodeAnnounceAnswer,
  encodeFailure,
  MAX_NUMWANT,
  parseAnnounce,
} from "./announce.ts";
import { type Catalog, LISTED_FILES } from "./catalog.ts";
import { attachment } from "./content_disposition.ts";
import { readBody, torrentTooLarge } from "./request_body.ts";
import { exposedCollection, QuietCollection } from "./quiet_collection.ts";
import { RequestCounters } from "./request_counters.ts";
import { HISTORY_SAMPLE_MS, SwarmHistory } from "./swarm_history.ts";
import { isWebPath } from "./web/paths.ts";
import type { TrackerView } from "./web/tracker_view.ts";
import { TrackerError, TrackerFullError } from "./errors.ts";
import { binaryStringToHex, bytesToBinaryString, compactPeerString } from "./binary_string.ts";
import { defaultMaxConnections, openFileLimit } from "./descriptors.ts";
import { type HttpListener, type HttpListenerOptions, listenHttp } from "./http_listener.ts";
import { compactAddress, unmapIpv4 } from "../transport/address.ts";
import { MAX_QUERY_LENGTH, parseQuery } from "./query.ts";
import { encodeScrapeAnswer, parseScrape } from "./scrape.ts";
import {
  type AnswerFamily,
  peerLifetime,
  type SwarmEvent,
  SwarmRegistry,
} from "./swarm_registry.ts";
import { OffThreadSummarizer } from "./summarizer.ts";
import { DEFAULT_SAVE_INTERVAL, restoreSwarms, SwarmSaver } from "./swarm_saver.ts";
import { ConnectionIds } from "./connection_ids.ts";
import { listenUdp, type UdpListener, type UdpListenerOptions } from "./udp_listener.ts";
import { udpResponder } from "./udp_tracker.ts";

/**
 * Default largest .torrent accepted by POST /torrents: far above real
 * torrents (a 1 TiB torrent of 1 MiB pieces holds 20 MiB of hashes only
 * with pieces that small; common ones are under 1 MiB), while parsing one
 * takes the tracker's thread for a while.
 */
export const DEFAULT_MAX_TORRENT_BYTES = 4 * 1024 * 1024;
/**
 * Default time a connection may stay without a request in flight before it
 * is closed (idle keep-alive, or headers that never end): each holds a
 * descriptor, and clients announce every half hour anyway.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Default seconds between announces, as opentracker uses. */
export const DEFAULT_INTERVAL = 1800;
/** Longest a peer should wait before asking again for more peers. */
export const MAX_MIN_INTERVAL = 60;
/**
 * Default cap on swarms: announces for fresh random info hashes each make a
 * swarm, so without a cap they grow memory until they expire an hour later.
 */
export const DEFAULT_MAX_SWARMS = 100_000;
/** Default cap on peers across all swarms. */
export const DEFAULT_MAX_PEERS = 500_000;
/**
 * The expiry sweep: each tick checks a share of the peers, so that every
 * peer is checked once a round (30 s, against lifetimes of ten minutes or
 * more) and no tick holds announces up for long.
 */
const EXPIRY_TICK_MS = 1000;
const EXPIRY_ROUND_TICKS = 30;
/** A cap's refusals are logged again only once the count falls below this share of it. */
const FULL_LOG_REARM = 0.9;
/**
 * Tries at a port free for both TCP and UDP when any will do: the system
 * picks a free UDP port, whose TCP twin is almost always free too.
 */
const SHARED_PORT_ATTEMPTS = 8;

/** How a tracker is run. */
export interface TrackerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly catalog: Catalog;
  /** Seconds between announces; peers silent for `peerLifetime(interval)` expire. */
  readonly interval: number;
  /** Serve only published torrents (like opentracker's whitelist). */
  readonly closed: boolean;
  /** When set, publishing needs `Authorization: Bearer <token>`. */
  readonly publishToken?: string;
  /** Take the peer's address from `X-Forwarded-For` or `ip` (only behind a trusted proxy). */
  readonly trustProxy: boolean;
  /** Most swarms held at once (default {@link DEFAULT_MAX_SWARMS}). */
  readonly maxSwarms?: number;
  /** Most peers held at once, all swarms together (default {@link DEFAULT_MAX_PEERS}). */
  readonly maxPeers?: number;
  /** Largest .torrent accepted for publishing (default {@link DEFAULT_MAX_TORRENT_BYTES}). */
  readonly maxTorrentBytes?: number;
  /** Most connections open at once (default: the descriptor limit less a reserve). */
  readonly maxConnections?: number;
  /** A connection without a request in flight for this long is closed (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** Where the swarms are saved and restored from (see `swarm_saver.ts`); none: not kept. */
  readonly swarmFile?: string;
  /** Seconds between saves of the swarms (default {@link DEFAULT_SAVE_INTERVAL}). */
  readonly saveInterval?: number;
  /** One line per event, for people; without it events are not even described. */
  readonly log?: (line: string) => void;
  /**
   * The UDP port of BEP 15 (0: any free port); by default the HTTP port's
   * number, as opentracker does; false for no UDP.
   */
  readonly udpPort?: number | false;
  /** The tracker's clock in milliseconds, for connection ids and expiry (tests move it). */
  readonly now?: () => number;
  /** Milliseconds between samples of the published swarms for their charts (default 5 min). */
  readonly historySampleMs?: number;
  /** Aborting it shuts the tracker down. */
  readonly signal: AbortSignal;
}

/** A running tracker. */
export interface RunningTracker {
  /** The announce URL, with the port actually bound. */
  readonly announceUrl: string;
  /** The UDP announce URL (BEP 15), with the port actually bound; absent without UDP. */
  readonly udpAnnounceUrl?: string;
  readonly registry: SwarmRegistry;
  /** Settles when the server has shut down. */
  readonly finished: Promise<void>;
}

const BENCODE_HEADERS = { "content-type": "text/plain; charset=binary" };
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function bencoded(body: Uint8Array, status = 200): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, { status, headers: BENCODE_HEADERS });
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: JSON_HEADERS });
}

function plain(text: string, status: number): Response {
  return new Response(text + "\n", { status, headers: { "content-type": "text/plain" } });
}

function timingSafeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return difference === 0;
}

/** A hex info hash (as the catalog keys torrents) as the registry keys swarms. */
function binaryHash(hex: string): string {
  return bytesToBinaryString(InfoHash.fromHex(hex).bytes);
}

/**
 * Starts `p2p tracker`'s HTTP server: BEP 3 announce (BEP 23 compact, BEP 7
 * peers6), BEP 48 scrape, and the catalog (`POST /torrents`,
 * `GET /torrents?q=`, `GET /torrents/<hash>.torrent`); and BEP 15 over UDP
 * beside it, with the same rules through the same swarm registry. Paths
 * for people (`/`, `/torrent/<hash>`, `/publish`, `/stats`, `/metrics`)
 * go to the web pages (`web/`), after the announce and scrape paths.
 *
 * @example
 * ```ts
 * const tracker = await startTracker({ hostname: "127.0.0.1", port: 0, ... });
 * console.log(tracker.announceUrl);
 * ```
 */
export async function startTracker(options: TrackerOptions): Promise<RunningTracker> {
  const caps = {
    swarms: options.maxSwarms ?? DEFAULT_MAX_SWARMS,
    peers: options.maxPeers ?? DEFAULT_MAX_PEERS,
  };
  const { catalog, log, swarmFile } = options;
  const makeRegistry = () =>
    new SwarmRegistry({
      interval: options.interval,
      minInterval: Math.min(MAX_MIN_INTERVAL, options.interval),
      maxSwarms: caps.swarms,
      maxPeers: caps.peers,
      now: options.now,
    });
  // Restored before the first announce, so that a restarted tracker answers with its seeders.
  const registry = swarmFile ? await restoreSwarms(swarmFile, makeRegistry, log) : makeRegistry();
  const saver = swarmFile ? new SwarmSaver(registry, swarmFile, log) : undefined;
  const lifetime = peerLifetime(options.interval);
  const summarizer = new OffThreadSummarizer();
  const maxTorrentBytes = options.maxTorrentBytes ?? DEFAULT_MAX_TORRENT_BYTES;
  const limits = { defaultNumwant: DEFAULT_NUMWANT, maxNumwant: MAX_NUMWANT };
  const now = options.now ?? Date.now;
  const startedAt = now();
  const counters = new RequestCounters();
  const history = new SwarmHistory();

  const torrentLabel = (infoHash: string) => {
    const hex = binaryStringToHex(infoHash);
    const name = catalog.nameOf(hex);
    return name ? `${name} [${hex.slice(0, 8)}]` : `[${hex.slice(0, 8)}]`;
  };
  const logEvents = (events: SwarmEvent[]) => {
    if (!log) return;
    for (const { kind, infoHash, peer } of events) {
      const { ip, port } = compactAddress(peer.compact);
      const who = `${peer.name ?? "peer"} ${ip}:${port}`;
      const role = peer.seeder ? "seeder" : "leecher";
      const what = {
        joined: `joined ${torrentLabel(infoHash)} as ${role}`,
        completed: `completed ${torrentLabel(infoHash)}`,
        left: `left ${torrentLabel(infoHash)}`,
        expired: `expired from ${torrentLabel(infoHash)} (silent for ${lifetime} s)`,
      }[kind];
      log(`${who} ${what}`);
    }
  };

  // One log line when a cap starts refusing, not one per refused announce;
  // re-armed by the expiry timer once the count is well below the cap.
  const fullLogged = new Set<TrackerFullError["resource"]>();
  const logFull = ({ resource, limit }: TrackerFullError) => {
    if (fullLogged.has(resource)) return;
    fullLogged.add(resource);
    log?.(
      resource === "swarms"
        ? `tracker full: ${limit} swarms, the most --max-swarms allows; ` +
          "announces for new torrents are refused until some expire"
        : `tracker full: ${limit} peers, the most --max-peers allows; ` +
          "announces from new peers are refused until some leave or expire",
    );
  };
  const rearmFullLog = () => {
    for (const resource of fullLogged) {
      if (registry.size[resource] < caps[resource] * FULL_LOG_REARM) fullLogged.delete(resource);
    }
  };

  /** An announce from `ip` by the tracker's rules, whether it came over HTTP or UDP. */
  function record(request: AnnounceRequest, ip: string, family: AnswerFamily): AnnounceAnswer {
    if (options.closed && !catalog.has(binaryStringToHex(request.infoHash))) {
      throw new TrackerError("unknown torrent: this tracker serves only published torrents");
    }
    const compact = compactPeerString(ip, request.port);
    if (compact === null) throw new TrackerError(`cannot use the address "${ip}"`);
    try {
      const { answer, events } = registry.announce(request, compact, family);
      if (events.length > 0) logEvents(events);
      return answer;
    } catch (error) {
      if (error instanceof TrackerFullError) logFull(error);
      throw error;
    }
  }

  function announce(query: string, remoteIp: string, headers: Headers): Response {
    const request: AnnounceRequest = parseAnnounce(parseQuery(query), limits);
    let ip = remoteIp;
    if (options.trustProxy) {
      ip = headers.get("x-forwarded-for")?.split(",")[0].trim() || request.ip || remoteIp;
    }
    const answer = encodeAnnounceAnswer(record(request, unmapIpv4(ip), "any"), request);
    counters.http.announces++;
    return bencoded(answer);
  }

  function scrape(query: string): Response {
    const hashes = parseScrape(parseQuery(query));
    counters.http.scrapes++;
    return bencoded(encodeScrapeAnswer(hashes.map((hash) => [hash, registry.scrape(hash)])));
  }

  const tokenMatches = (token: string) =>
    options.publishToken !== undefined && timingSafeEqual(token, options.publishToken);

  /** Publishes .torrent bytes, for the API and the publish page alike. */
  async function publishBytes(bytes: Uint8Array, publisher?: string) {
    const known = catalog.publishedAs(bytes);
    // Parsing happens in the publish worker: announces go on meanwhile.
    const { infoHash, name, added } = known
      ? { ...known, added: false }
      : catalog.publish(bytes, await summarizer.summarize(bytes, LISTED_FILES), publisher);
    if (added) log?.(`${publisher ?? "a peer"} published ${name} [${infoHash.slice(0, 8)}]`);
    return { infoHash, name, added };
  }

  async function publish(request: Request): Promise<Response> {
    if (options.publishToken !== undefined) {
      const given = request.headers.get("authorization") ?? "";
      if (!given.startsWith("Bearer ") || !tokenMatches(given.slice("Bearer ".length))) {
        return json({ error: "publishing needs the tracker's token" }, 401);
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBody(request, maxTorrentBytes, () => torrentTooLarge(maxTorrentBytes));
    } catch (error) {
      if (error instanceof TrackerError) return json({ error: error.message }, 413);
      throw error;
    }
    try {
      const publisher = request.headers.get("x-p2p-peer-name")?.slice(0, 64) || undefined;
      const outcome = await publishBytes(bytes, publisher);
      return json(outcome, outcome.added ? 201 : 200);
    } catch (error) {
      if (error instanceof MetainfoError) {
        return json({ error: `not a valid torrent: ${error.message}` }, 400);
      }
      throw error;
    }
  }

  function search(url: URL): Response {
    const text = url.searchParams.get("q") ?? "";
    // This tracker as the asker reached it: one listening on 0.0.0.0 knows no better name.
    const trackerTiers = [[`${url.origin}/announce`]];
    return json(
      catalog.search(text).map((entry) => {
        const infoHash = InfoHash.fromHex(entry.infoHash);
        const counts = registry.scrape(bytesToBinaryString(infoHash.bytes));
        return {
          ...entry,
          // Seconds since the epoch, as a .torrent's creation date (info --json's creationDate).
          publishedAt: Math.floor(entry.publishedAt / 1000),
          magnet: magnetOf({ infoHash, name: entry.name, trackerTiers }),
          seeders: counts.complete,
          leechers: counts.incomplete,
        };
      }),
    );
  }

  function download(hex: string): Response {
    const bytes = catalog.metainfo(hex);
    if (!bytes) return json({ error: `no published torrent ${hex}` }, 404);
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": "application/x-bittorrent",
        "content-disposition": attachment(`${catalog.nameOf(hex) ?? hex}.torrent`),
      },
    });
  }

  /** One round of the published swarms' charts. */
  function sampleHistory(): void {
    history.record(now(), catalog.infoHashes(), (hex) => {
      const { complete, incomplete } = registry.scrape(binaryHash(hex));
      return [complete, incomplete];
    });
  }

  const view: TrackerView = {
    catalog,
    maxTorrentBytes,
    tokenRequired: options.publishToken !== undefined,
    trustProxy: options.trustProxy,
    tokenMatches,
    swarm: (hex) => {
      const { complete, incomplete, downloaded } = registry.scrape(binaryHash(hex));
      return { seeders: complete, leechers: incomplete, completed: downloaded };
    },
    seederNames: (hex, limit) => registry.seederNames(binaryHash(hex), limit),
    history: (hex) => {
      const { complete, incomplete } = registry.scrape(binaryHash(hex));
      return [...history.of(hex), { at: now(), seeders: complete, leechers: incomplete }];
    },
    stats: () => {
      const at = now();
      return {
        uptimeSeconds: Math.floor((at - startedAt) / 1000),
        announces: { http: counters.http.announces, udp: counters.udp.announces },
        scrapes: { http: counters.http.scrapes, udp: counters.udp.scrapes },
        announcesPerSecond: counters.announceRates(at),
        ...registry.size,
        ...registry.roles(),
        published: catalog.size,
        ...memory(),
      };
    },
    publish: publishBytes,
    unpublish: (hex) => {
      const name = catalog.nameOf(hex);
      if (!catalog.unpublish(hex)) return false;
      history.forget(hex);
      log?.(`unpublished ${name} [${hex.slice(0, 8)}]`);
      return true;
    },
  };
  // The pages (Hono, JSX, their assets) load on the first page request, not with the tracker.
  let webPages: Promise<(request: Request, remote: Deno.NetAddr) => Promise<Response>> | undefined;
  const web = async (request: Request, remote: Deno.NetAddr): Promise<Response> => {
    webPages ??= import("./web/app.tsx").then(({ webApp }) => webApp(view));
    return (await webPages)(request, remote);
  };

  /** The answer to a request that threw: its reason if ours, a logged internal error if not. */
  function failure(error: unknown, path: string): Response {
    if (error instanceof TrackerError) return bencoded(encodeFailure(error.message));
    log?.(
      `internal error on ${path.slice(0, 100)}: ${error instanceof Error ? error.message : error}`,
    );
    return bencoded(encodeFailure("internal tracker error"), 500);
  }

  // Synchronous but for publishing: announces and scrapes are answered without a promise.
  function handle(request: Request, info: Deno.ServeHandlerInfo): Response | Promise<Response> {
    const rawUrl = request.url;
    if (rawUrl.length > MAX_QUERY_LENGTH + 1024) {
      return bencoded(encodeFailure("request URL too long"), 414);
    }
    const pathStart = rawUrl.indexOf("/", rawUrl.indexOf("//") + 2);
    const queryStart = rawUrl.indexOf("?", pathStart);
    const path = rawUrl.slice(pathStart, queryStart < 0 ? undefined : queryStart);
    const query = queryStart < 0 ? "" : rawUrl.slice(queryStart + 1);
    const remote = info.remoteAddr as Deno.NetAddr;
    try {
      if (path === "/announce" && request.method === "GET") {
        return announce(query, remote.hostname, request.headers);
      }
      if (path === "/scrape" && request.method === "GET") return scrape(query);
      if (path === "/torrents" && request.method === "POST") {
        return publish(request).catch((error) => failure(error, path));
      }
      if (path === "/torrents" && request.method === "GET") return search(new URL(rawUrl));
      const match = /^\/torrents\/([0-9a-fA-F]{40})\.torrent$/.exec(path);
      if (match && request.method === "GET") return download(match[1].toLowerCase());
      if (isWebPath(path)) return web(request, remote).catch((error) => failure(error, path));
      return plain(`no such resource: ${request.method} ${path.slice(0, 100)}`, 404);
    } catch (error) {
      return failure(error, path);
    }
  }

  // Aborted by the caller, or by a failure to bind UDP after HTTP is up.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const http: Omit<HttpListenerOptions, "port"> = {
    hostname: options.hostname,
    signal,
    maxConnections: options.maxConnections ?? defaultMaxConnections(openFileLimit()),
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    handler: handle,
    onError: (error) => {
      log?.(`internal error: ${error instanceof Error ? error.message : error}`);
      return bencoded(encodeFailure("internal tracker error"), 500);
    },
    log,
  };
  const udp: UdpPlan | undefined = options.udpPort === false ? undefined : {
    hostname: options.hostname,
    port: options.udpPort,
    signal,
    respond: udpResponder({
      rules: {
        announce: (request, ip, family) => {
          const answer = record(request, ip, family);
          counters.udp.announces++;
          return answer;
        },
        scrape: (hashes) => {
          counters.udp.scrapes++;
          return hashes.map((hash) => registry.scrape(hash));
        },
      },
      connectionIds: new ConnectionIds(options.now),
      trustProxy: options.trustProxy,
      onInternalError: (error) =>
        log?.(`internal error on UDP: ${error instanceof Error ? error.message : error}`),
    }),
    log,
  };
  const listeners = await listenBoth(options.port, http, udp, stop);
  const address = listeners.http.addr;
  const quiet = quietCollection(counters);
  const expiry = setInterval(() => {
    logEvents(registry.expire(Math.ceil(registry.size.peers / EXPIRY_ROUND_TICKS)));
    rearmFullLog();
    counters.sample(now());
    quiet?.();
  }, EXPIRY_TICK_MS);
  counters.sample(now());
  sampleHistory();
  const charting = setInterval(sampleHistory, options.historySampleMs ?? HISTORY_SAMPLE_MS);
  saver?.start((options.saveInterval ?? DEFAULT_SAVE_INTERVAL) * 1000);
  const finished = Promise.all([listeners.http.finished, listeners.udp?.finished]).finally(
    async () => {
      clearInterval(expiry);
      clearInterval(charting);
      summarizer.close();
      await saver?.stop();
    },
  );
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    announceUrl: `http://${host}:${address.port}/announce`,
    udpAnnounceUrl: listeners.udp && `udp://${host}:${listeners.udp.port}/announce`,
    registry,
    finished: finished.then(() => {}),
  };
}

/** Ticks (of the expiry timer) in one window of the quiet collection. */
const QUIET_WINDOW_TICKS = 2;
/** Requests in a window at most which the tracker counts as quiet: a few a second. */
const QUIET_BELOW_REQUESTS = 20;
/** Heap growth since the last collection worth collecting once quiet. */
const QUIET_MIN_GROWTH_BYTES = 8 * 2 ** 20;

/**
 * A function for the expiry timer that runs one full collection once the
 * tracker falls quiet after a burst (see `QuietCollection`), or undefined
 * when V8's collection is not exposed to p2p.
 */
function quietCollection(counters: RequestCounters): (() => void) | undefined {
  const collect = exposedCollection();
  if (!collect) return undefined;
  const requests = () =>
    counters.http.announces + counters.http.scrapes + counters.udp.announces + counters.udp.scrapes;
  const quiet = new QuietCollection({
    collect,
    heapUsed: () => Deno.memoryUsage().heapUsed,
    quietBelow: QUIET_BELOW_REQUESTS,
    minGrowthBytes: QUIET_MIN_GROWTH_BYTES,
  });
  let ticks = 0;
  let seen = requests();
  return () => {
    if (++ticks % QUIET_WINDOW_TICKS !== 0) return;
    const now = requests();
    quiet.window(now - seen);
    seen = now;
  };
}

/** How UDP is to be bound: its port undefined means the HTTP port's number. */
type UdpPlan = Omit<UdpListenerOptions, "port"> & { readonly port?: number };

/**
 * Binds HTTP on `port` and, if asked, UDP on `udp.port` (the HTTP port's
 * number when undefined). When both may take any port, the UDP socket is
 * bound first and HTTP on its number, tried again on another if that TCP
 * port is taken. If UDP cannot be bound, HTTP is closed (`stop`) first.
 */
async function listenBoth(
  port: number,
  http: Omit<HttpListenerOptions, "port">,
  udp: UdpPlan | undefined,
  stop: AbortController,
): Promise<{ http: HttpListener; udp?: UdpListener }> {
  if (!udp) return { http: await listenHttp({ ...http, port }) };
  if (port === 0 && udp.port === undefined) {
    for (let attempt = 1;; attempt++) {
      const bound = await listenUdp({ ...udp, port: 0 });
      try {
        return { http: await listenHttp({ ...http, port: bound.port }), udp: bound };
      } catch (error) {
        bound.close();
        await bound.finished;
        if (!(error instanceof Deno.errors.AddrInUse) || attempt === SHARED_PORT_ATTEMPTS) {
          throw error;
        }
      }
    }
  }
  const bound = await listenHttp({ ...http, port });
  try {
    return { http: bound, udp: await listenUdp({ ...udp, port: udp.port ?? bound.addr.port }) };
  } catch (error) {
    stop.abort();
    await bound.finished;
    throw error;
  }
}

/** The process's memory as the stats report it (one call: each reads /proc). */
function memory(): { residentBytes: number; heapUsedBytes: number; heapTotalBytes: number } {
  const usage = Deno.memoryUsage();
  return {
    residentBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
  };
}
