import type { TrackerStats } from "./tracker_view.ts";

/** The content type of the Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Kind = "counter" | "gauge";

/** One metric family: its lines of HELP, TYPE and samples. */
function family(
  name: string,
  kind: Kind,
  help: string,
  samples: readonly (readonly [labels: string, value: number])[],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`];
  for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  return lines.join("\n");
}

const byProtocol = (counts: { http: number; udp: number }) =>
  [[`{protocol="http"}`, counts.http], [`{protocol="udp"}`, counts.udp]] as const;

/**
 * The tracker's figures in the Prometheus text exposition format: counters
 * of announces and scrapes by protocol, gauges of swarms, peers by role,
 * published torrents, uptime and resident memory. Labels are fixed words,
 * never a torrent's or a peer's name, so nothing needs escaping.
 *
 * @example
 * ```ts
 * new Response(metricsText(view.stats()), { headers: { "content-type": METRICS_CONTENT_TYPE } });
 * ```
 */
export function metricsText(stats: TrackerStats): string {
  return [
    family(
      "p2p_tracker_announces_total",
      "counter",
      "Announces accepted since the tracker started (refused ones are not counted).",
      byProtocol(stats.announces),
    ),
    family(
      "p2p_tracker_scrapes_total",
      "counter",
      "Scrape requests answered since the tracker started.",
      byProtocol(stats.scrapes),
    ),
    family("p2p_tracker_swarms", "gauge", "Torrents with peers or completed downloads.", [
      ["", stats.swarms],
    ]),
    family("p2p_tracker_peers", "gauge", "Peers in all swarms, by role.", [
      [`{role="seeder"}`, stats.seeders],
      [`{role="leecher"}`, stats.leechers],
    ]),
    family("p2p_tracker_published_torrents", "gauge", "Torrents in the catalog.", [
      ["", stats.published],
    ]),
    family("p2p_tracker_uptime_seconds", "gauge", "Seconds since the tracker started.", [
      ["", stats.uptimeSeconds],
    ]),
    family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [
      ["", stats.residentBytes],
    ]),
    family("p2p_tracker_heap_used_bytes", "gauge", "JavaScript heap in use, in bytes.", [
      ["", stats.heapUsedBytes],
    ]),
    family("p2p_tracker_heap_total_bytes", "gauge", "JavaScript heap V8 holds, in bytes.", [
      ["", stats.heapTotalBytes],
    ]),
  ].join("\n") + "\n";
}
