/**
 * The pages' static files, served from memory at paths that carry a hash
 * of their content, so browsers may keep them for a year: a new release
 * with other bytes gets another path. uPlot comes from npm as text (Deno's
 * raw imports), so `deno compile` embeds it like any module.
 *
 * @module
 */
import { createHash } from "node:crypto";
import uplotScript from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotStyle from "uplot/dist/uPlot.min.css" with { type: "text" };
import pageScript from "./static/app.js" with { type: "text" };
import pageStyle from "./static/style.css" with { type: "text" };

/** A file to serve. */
export interface Asset {
  /** Where it is served, under `/static/`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

function asset(name: string, extension: "js" | "css", body: string): Asset {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return {
    path: `/static/${name}.${hash}.${extension}`,
    contentType: extension === "js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
    body,
  };
}

/** The pages' script and style sheet, and uPlot's. */
export const ASSETS = {
  script: asset("app", "js", pageScript),
  style: asset("style", "css", pageStyle),
  uplotScript: asset("uplot", "js", uplotScript),
  uplotStyle: asset("uplot", "css", uplotStyle),
} as const;

/** Long caching: the path changes whenever the content does. */
export const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** The asset served at `path`, if any. */
export const assetAt: ReadonlyMap<string, Asset> = new Map(
  Object.values(ASSETS).map((entry) => [entry.path, entry]),
);
