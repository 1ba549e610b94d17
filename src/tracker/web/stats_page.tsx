import { formatBytes, formatCount } from "../../format.ts";
import { formatDuration, formatRate } from "./format.ts";
import { Layout } from "./layout.tsx";
import type { TrackerStats } from "./tracker_view.ts";

/** One figure: its label, its key in the stats JSON (dotted), and its text now. */
function Figure(props: { label: string; field: string; format: string; text: string }) {
  return (
    <tr>
      <th>{props.label}</th>
      <td class="number" data-field={props.field} data-format={props.format}>{props.text}</td>
    </tr>
  );
}

/**
 * The tracker's figures; the page script refreshes them from `/stats.json`.
 *
 * @example
 * ```tsx
 * c.html(<StatsPage stats={view.stats()} />);
 * ```
 */
export function StatsPage(props: { stats: TrackerStats }) {
  const { stats } = props;
  const count = (label: string, field: string, value: number) => (
    <Figure label={label} field={field} format="count" text={formatCount(value)} />
  );
  const rate = (label: string, field: string, value: number) => (
    <Figure label={label} field={field} format="rate" text={formatRate(value)} />
  );
  return (
    <Layout title="Stats" section="stats">
      <h1>Tracker stats</h1>
      <table class="stats" data-live>
        <tbody>
          {rate(
            "Announces a second, HTTP",
            "announcesPerSecond.http",
            stats.announcesPerSecond.http,
          )}
          {rate("Announces a second, UDP", "announcesPerSecond.udp", stats.announcesPerSecond.udp)}
          {count("Swarms", "swarms", stats.swarms)}
          {count("Peers", "peers", stats.peers)}
          {count("Seeders", "seeders", stats.seeders)}
          {count("Leechers", "leechers", stats.leechers)}
          {count("Published torrents", "published", stats.published)}
          {count("Announces since start, HTTP", "announces.http", stats.announces.http)}
          {count("Announces since start, UDP", "announces.udp", stats.announces.udp)}
          {count("Scrapes since start, HTTP", "scrapes.http", stats.scrapes.http)}
          {count("Scrapes since start, UDP", "scrapes.udp", stats.scrapes.udp)}
          <Figure
            label="Uptime"
            field="uptimeSeconds"
            format="duration"
            text={formatDuration(stats.uptimeSeconds)}
          />
          <Figure
            label="Memory (resident)"
            field="residentBytes"
            format="bytes"
            text={formatBytes(stats.residentBytes)}
          />
        </tbody>
      </table>
      <p class="note">
        The same as JSON: <a href="/stats.json">/stats.json</a>; for Prometheus:{" "}
        <a href="/metrics">/metrics</a>. Rates are over the last minute.
      </p>
    </Layout>
  );
}
