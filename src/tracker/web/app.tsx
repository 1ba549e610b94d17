/**
 * The tracker's web pages: the catalog, a page per torrent, the publish
 * form, stats, `/metrics`, and the unpublish endpoint; server-rendered
 * with Hono's JSX and enhanced by a small script. The tracker loads this
 * module on the first page request (see paths.ts for which paths are pages).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { InfoHash, magnetOf, MetainfoError } from "../../metainfo/mod.ts";
import { MAX_SEARCH_RESULTS } from "../catalog.ts";
import { TrackerError } from "../errors.ts";
import { readBody, torrentTooLarge } from "../request_body.ts";
import { ASSET_CACHE_CONTROL, assetAt } from "./assets.ts";
import { CatalogPage } from "./catalog_page.tsx";
import { MessagePage } from "./message_page.tsx";
import { METRICS_CONTENT_TYPE, metricsText } from "./metrics.ts";
import { PublishPage } from "./publish_page.tsx";
import { StatsPage } from "./stats_page.tsx";
import { type TorrentDetails, TorrentPage } from "./torrent_page.tsx";
import type { TrackerView } from "./tracker_view.ts";
import { unpublishRefusal } from "./unpublish_rule.ts";

/** Most files a torrent's page lists (the .torrent has them all). */
const MAX_PAGE_FILES = 1000;
/** Most seeder names a torrent's page lists. */
const MAX_PAGE_SEEDERS = 100;
/** Room in a publish form's body for its boundaries, part headers and other fields. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
/** Largest body of the unpublish form: a token field and its boundary. */
const MAX_UNPUBLISH_FORM_BYTES = 16 * 1024;
/**
 * The pages load only their own files and post only to themselves: should
 * a name ever slip through as markup, the browser still runs none of it.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";
/** Longest publisher name kept, as for `X-P2P-Peer-Name`. */
const MAX_PUBLISHER_LENGTH = 64;
const HEX_HASH = /^[0-9a-fA-F]{40}$/;

/** What the tracker hands each request: the address it came from. */
type Env = { Bindings: { remote: Deno.NetAddr } };

type Status = 200 | 400 | 401 | 403 | 404 | 413 | 415;

/** A whole HTML document from a page element. */
function page(c: Context<Env>, element: unknown, status: Status = 200) {
  return c.html(html`<!doctype html>${element}`, status);
}

/** A client asking for JSON rather than a page (the pages' script does). */
function wantsJson(c: Context<Env>): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

function notFound(c: Context<Env>, message: string) {
  if (wantsJson(c)) return c.json({ error: message }, 404);
  return page(c, <MessagePage title="Not found" message={message} />, 404);
}

/** A request's form, read to at most `maxBytes`; undefined if it is not a form or too large. */
async function formOf(request: Request, maxBytes: number): Promise<FormData | undefined> {
  const type = request.headers.get("content-type") ?? "";
  try {
    const body = await readBody(request, maxBytes, () => new TrackerError("form too large"));
    return await new Response(body as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": type },
    }).formData();
  } catch {
    return undefined;
  }
}

/** A form field as text, or undefined when it is absent or a file. */
function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
}

/**
 * The tracker's web pages and their JSON twins, as a Hono app over a
 * {@link TrackerView}. Every page is server-rendered and works without
 * script; names from torrents and peers are rendered as text (JSX escapes
 * them), in the body and in attributes alike.
 *
 * @example
 * ```ts
 * const web = webApp(view);
 * const response = await web(request, remoteAddr);
 * ```
 */
export function webApp(
  view: TrackerView,
): (request: Request, remote: Deno.NetAddr) => Promise<Response> {
  const app = new Hono<Env>();
  const { catalog } = view;

  app.use(async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (c.res.headers.get("content-type")?.startsWith("text/html")) {
      c.res.headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    }
  });

  function details(hex: string, origin: string): TorrentDetails | undefined {
    const entry = catalog.entry(hex);
    if (!entry) return undefined;
    const counts = view.swarm(hex);
    // This tracker as the asker reached it, as `/torrents` names it in its magnet links.
    const trackerTiers = [[`${origin}/announce`]];
    return {
      entry,
      files: catalog.files(hex, MAX_PAGE_FILES),
      magnet: magnetOf({ infoHash: InfoHash.fromHex(hex), name: entry.name, trackerTiers }),
      counts,
      seeding: view.seederNames(hex, MAX_PAGE_SEEDERS),
      history: view.history(hex),
    };
  }

  app.get("/", (c) => {
    const query = c.req.query("q") ?? "";
    const torrents = catalog.search(query).map((entry) => ({
      ...entry,
      ...view.swarm(entry.infoHash),
    }));
    c.header("vary", "accept");
    if (wantsJson(c)) return c.json({ query, torrents });
    return page(c, <CatalogPage query={query} torrents={torrents} limit={MAX_SEARCH_RESULTS} />);
  });

  app.get("/torrent/:hash", (c) => {
    const hash = c.req.param("hash");
    if (!HEX_HASH.test(hash)) return notFound(c, "not an info hash: 40 hexadecimal digits");
    const found = details(hash.toLowerCase(), new URL(c.req.url).origin);
    if (!found) return notFound(c, `no published torrent ${hash.toLowerCase()}`);
    c.header("vary", "accept");
    if (wantsJson(c)) {
      const { entry, files, magnet, counts, seeding, history } = found;
      return c.json({ ...entry, files, magnet, ...counts, seederNames: seeding.names, history });
    }
    return page(c, <TorrentPage details={found} tokenRequired={view.tokenRequired} />);
  });

  /** Unpublishes for a form or the API: what was removed, or why not. */
  function unpublish(
    c: Context<Env>,
    hash: string,
    token: string | undefined,
  ): { status: 200; infoHash: string; name?: string } | { status: Status; error: string } {
    const hex = hash.toLowerCase();
    const refusal = unpublishRefusal(view, token, c.env.remote.hostname);
    if (refusal) return { status: refusal.status, error: refusal.message };
    const name = catalog.nameOf(hex);
    if (!HEX_HASH.test(hash) || !view.unpublish(hex)) {
      return { status: 404, error: `no published torrent ${hex}` };
    }
    return { status: 200, infoHash: hex, name };
  }

  app.post("/torrent/:hash/unpublish", async (c) => {
    const form = await formOf(c.req.raw, MAX_UNPUBLISH_FORM_BYTES);
    const done = unpublish(c, c.req.param("hash"), form && field(form, "token"));
    if ("error" in done) {
      return page(c, <MessagePage title="Not unpublished" message={done.error} />, done.status);
    }
    return c.redirect("/", 303);
  });

  app.delete("/torrents/:hash", (c) => {
    const authorization = c.req.header("authorization");
    const token = authorization?.startsWith("Bearer ")
      ? authorization.slice("Bearer ".length)
      : undefined;
    const done = unpublish(c, c.req.param("hash"), token);
    return "error" in done
      ? c.json({ error: done.error }, done.status)
      : c.json({ infoHash: done.infoHash, name: done.name });
  });

  const publishPage = (c: Context<Env>, error?: string, status: Status = 200, publisher = "") =>
    page(
      c,
      <PublishPage
        tokenRequired={view.tokenRequired}
        maxTorrentBytes={view.maxTorrentBytes}
        error={error}
        publisher={publisher}
      />,
      status,
    );

  app.get("/publish", (c) => publishPage(c));

  app.post("/publish", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!type.startsWith("multipart/form-data")) {
      return publishPage(c, "send the form as multipart/form-data, with the .torrent file", 415);
    }
    const limit = view.maxTorrentBytes;
    let form: FormData;
    try {
      const body = await readBody(
        c.req.raw,
        limit + FORM_OVERHEAD_BYTES,
        () => torrentTooLarge(limit),
      );
      form = await new Response(body as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": type },
      }).formData();
    } catch (error) {
      if (error instanceof TrackerError) return publishPage(c, error.message, 413);
      return publishPage(c, "the form could not be read: not valid multipart/form-data", 400);
    }
    const publisher = field(form, "publisher")?.trim().slice(0, MAX_PUBLISHER_LENGTH) ?? "";
    const refuse = (message: string, status: Status) => publishPage(c, message, status, publisher);
    if (view.tokenRequired && !view.tokenMatches(field(form, "token") ?? "")) {
      return refuse("wrong publish token: publishing here needs the tracker's token", 401);
    }
    const file = form.get("torrent");
    if (!(file instanceof File) || file.size === 0) {
      return refuse("choose a .torrent file to publish", 400);
    }
    if (file.size > limit) return refuse(torrentTooLarge(limit).message, 413);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { infoHash } = await view.publish(bytes, publisher || undefined);
      return c.redirect(`/torrent/${infoHash}`, 303);
    } catch (error) {
      if (error instanceof MetainfoError) {
        return refuse(`not a valid torrent: ${error.message}`, 400);
      }
      throw error;
    }
  });

  app.get("/stats", (c) => {
    c.header("vary", "accept");
    if (wantsJson(c)) return c.json(view.stats());
    return page(c, <StatsPage stats={view.stats()} />);
  });
  app.get("/stats.json", (c) => c.json(view.stats()));
  app.get("/metrics", (c) =>
    c.body(metricsText(view.stats()), 200, {
      "content-type": METRICS_CONTENT_TYPE,
    }));

  app.get("/static/*", (c) => {
    const asset = assetAt.get(c.req.path);
    if (!asset) return c.text("no such file\n", 404);
    return c.body(asset.body, 200, {
      "content-type": asset.contentType,
      "cache-control": ASSET_CACHE_CONTROL,
    });
  });

  app.notFound((c) => notFound(c, `no such page: ${c.req.method} ${c.req.path.slice(0, 100)}`));
  // The tracker logs it and answers 500 (see server.ts).
  app.onError((error) => {
    throw error;
  });

  return async (request, remote) => await app.fetch(request, { remote });
}
