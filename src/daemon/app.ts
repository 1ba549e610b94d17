import { Hono } from "hono";
import { BencodeError } from "../bencode/mod.ts";
import { CommandError } from "../cli/errors.ts";
import { MetainfoError } from "../metainfo/mod.ts";
import { StorageError } from "../storage/mod.ts";
import { TrackerError } from "../tracker/mod.ts";
import { type ApiOptions, apiRoutes } from "./api.ts";
import { authMiddleware, type AuthSettings } from "./auth.ts";
import { DaemonError } from "./errors.ts";
import { pageRoutes } from "./page.tsx";

/**
 * What the page may load and run: its own script, style and API, nothing
 * inline and nothing from elsewhere, never framed; no referrer, since the
 * first address carries the token.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/**
 * The daemon's HTTP application: security headers on every answer, the
 * Host and token checks before anything, the page and the API, and every
 * error as `{"error": "..."}` with a 4xx status when the request was at
 * fault (500 only for our own bugs, without a stack trace).
 *
 * @example
 * ```ts
 * Deno.serve({ hostname: "127.0.0.1", port: 9092 }, daemonApp(auth, api, log, "0.1.0").fetch);
 * ```
 */
export function daemonApp(
  auth: AuthSettings,
  api: ApiOptions,
  log: (line: string) => void,
  version: string,
): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });
  app.use(authMiddleware(auth));
  app.route("/api", apiRoutes(api));
  app.route("/", pageRoutes({ token: auth.token, csrf: auth.csrf, version }));
  app.notFound((c) => c.json({ error: `not found: ${c.req.path}` }, 404));
  app.onError((error, c) => {
    const status = statusOf(error);
    if (status === 500) log(`internal error on ${c.req.method} ${c.req.path}: ${error.message}`);
    const message = status === 500 ? `internal error: ${error.message}` : error.message;
    return c.json({ error: message }, status);
  });
  return app;
}

function statusOf(error: Error): DaemonError["status"] | 500 {
  if (error instanceof DaemonError) return error.status;
  if (error instanceof TrackerError) return 502;
  const askersFault = [MetainfoError, BencodeError, CommandError, StorageError];
  return askersFault.some((kind) => error instanceof kind) ? 400 : 500;
}
