import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { parseIpv4 } from "../transport/mod.ts";

/** The API token's file in the daemon's folder, readable by its owner only. */
export const TOKEN_FILE = "token";
/**
 * The cookie that carries the token for the web page (set by `/?token=...`),
 * named after the port: browsers keep cookies per host, not per port, so two
 * daemons on one machine would otherwise overwrite each other's.
 *
 * @example
 * ```ts
 * tokenCookie(9092); // "p2p_daemon_token_9092"
 * ```
 */
export function tokenCookie(port: number | string): string {
  return `p2p_daemon_token_${port}`;
}

/** The cookie's name for the port a request came to. */
export function tokenCookieOf(c: Context): string {
  return tokenCookie(new URL(c.req.url).port || "80");
}
/** The header a state-changing call authenticated by cookie carries (double submit). */
export const CSRF_HEADER = "X-CSRF-Token";

/** Random bytes of a new token: 256 bits, beyond guessing. */
const TOKEN_BYTES = 32;

/**
 * The daemon's API token: read from `folder/token`, or made at the first
 * start (random, hex) and written there with mode 0600, since anyone who
 * reads it controls the daemon.
 *
 * @example
 * ```ts
 * const token = await loadOrCreateToken("/home/me/.local/share/p2p/daemon");
 * ```
 */
export async function loadOrCreateToken(folder: string): Promise<string> {
  const path = join(folder, TOKEN_FILE);
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  try {
    const token = randomBytes(TOKEN_BYTES).toString("hex");
    await Deno.writeTextFile(path, `${token}\n`, { createNew: true, mode: 0o600 });
    return token;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  // An older copy may have been left readable by others: ours only, from now on.
  await Deno.chmod(path, 0o600);
  const token = (await Deno.readTextFile(path)).trim();
  if (!/^[0-9a-f]{64}$/.test(token)) {
    throw new Error(`${path} holds no daemon token; remove it to make a new one`);
  }
  return token;
}

/**
 * The CSRF value for a token: what the page gets and sends back in
 * {@link CSRF_HEADER}. Derived, so it survives a restart as the token does,
 * and one-way, so the page never holds the token itself.
 */
export function csrfTokenFor(token: string): string {
  return createHash("sha256").update(`p2p daemon csrf\0${token}`).digest("hex");
}

/** Whether two secrets are equal, in time that does not tell how much of them matched. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a request's `Host` header names us. Loopback names always do;
 * IP literals too when the daemon listens beyond loopback. Any other name
 * is refused: a page whose DNS name was rebound to 127.0.0.1 sends its own
 * name, so it cannot reach the API.
 *
 * @example
 * ```ts
 * hostAllowed("127.0.0.1:9092", false); // true
 * hostAllowed("evil.example:9092", false); // false
 * ```
 */
export function hostAllowed(host: string | undefined, beyondLoopback: boolean): boolean {
  if (!host) return false;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host);
  if (!match) return false;
  const name = match[1].toLowerCase();
  if (name === "localhost" || name === "[::1]") return true;
  const ipv4 = parseIpv4(name);
  if (ipv4 && name.startsWith("127.")) return true;
  return beyondLoopback && (ipv4 !== null || name.startsWith("["));
}

/** How a request proved it may use the API, if it did. */
export type Credential = "bearer" | "cookie";

/** What the checks need to know. */
export interface AuthSettings {
  readonly token: string;
  readonly csrf: string;
  /** The daemon listens beyond loopback (`--web-host`): IP literals are fine Host names. */
  readonly beyondLoopback: boolean;
}

/** The request's credential: the token as a bearer header, or the page's cookie. */
export function credentialOf(c: Context, token: string): Credential | undefined {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    return sameSecret(bearer, token) ? "bearer" : undefined;
  }
  return sameSecret(getCookie(c, tokenCookieOf(c)), token) ? "cookie" : undefined;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Every request: a `Host` that names us (403 otherwise). API calls: a
 * credential (401 without one) and, for a state-changing call carried by
 * the cookie, proof that our own page sent it (403 otherwise): the CSRF
 * header matching, and no `Origin` or `Sec-Fetch-Site` saying another site.
 * A bearer token needs no such proof: another site's page cannot set the
 * header without our CORS consent, which we never give.
 */
export function authMiddleware(settings: AuthSettings): MiddlewareHandler {
  return async (c, next) => {
    if (!hostAllowed(c.req.header("Host"), settings.beyondLoopback)) {
      return c.json({ error: "this Host is not the daemon's (DNS rebinding?)" }, 403);
    }
    if (!c.req.path.startsWith("/api/")) return await next();
    const credential = credentialOf(c, settings.token);
    if (!credential) {
      return c.json({ error: "missing or wrong token (Authorization: Bearer TOKEN)" }, 401);
    }
    if (credential === "cookie" && !SAFE_METHODS.has(c.req.method)) {
      const refusal = crossSiteRefusal(c, settings.csrf);
      if (refusal) return c.json({ error: refusal }, 403);
    }
    return await next();
  };
}

function crossSiteRefusal(c: Context, csrf: string): string | undefined {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  }
  const origin = c.req.header("Origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    return `cross-origin request refused (Origin: ${origin})`;
  }
  if (!sameSecret(c.req.header(CSRF_HEADER), csrf)) {
    return `missing or wrong ${CSRF_HEADER} header`;
  }
  return undefined;
}
