/**
 * The tracker's web pages: the catalog, a page per torrent, the publish
 * form, stats, `/metrics`, and the unpublish endpoint; server-rendered
 * with Hono's JSX and enhanced by a small script.
 *
 * @module
 */
export { isWebPath, webApp } from "./app.tsx";
export type { PublishOutcome, SwarmCounts, TrackerStats, TrackerView } from "./tracker_view.ts";
