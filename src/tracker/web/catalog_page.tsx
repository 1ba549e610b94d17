import type { CatalogEntry } from "../catalog.ts";
import type { SwarmCounts } from "./tracker_view.ts";
import { formatBytes, formatCount } from "../../format.ts";
import { formatTime } from "./format.ts";
import { Layout } from "./layout.tsx";

/** A catalog entry with its swarm's counts now. */
export type ListedTorrent = CatalogEntry & SwarmCounts;

/**
 * The catalog: a search form (a plain GET, so it works without script) and
 * the published torrents matching it, newest first.
 *
 * @example
 * ```tsx
 * c.html(<CatalogPage query="" torrents={listed} limit={100} />);
 * ```
 */
export function CatalogPage(
  props: { query: string; torrents: ListedTorrent[]; limit: number },
) {
  const { query, torrents } = props;
  return (
    <Layout title="Catalog" section="catalog">
      <h1>Published torrents</h1>
      <form class="search" method="get" action="/" role="search">
        <input
          type="search"
          name="q"
          value={query}
          placeholder="Search by name"
          aria-label="Search by name"
        />
        <button type="submit">Search</button>
      </form>
      {torrents.length === 0
        ? (
          <p class="empty">
            {query ? `No published torrent has “${query}” in its name.` : "Nothing published yet."}
          </p>
        )
        : (
          <table class="torrents" data-live>
            <thead>
              <tr>
                <th>Name</th>
                <th class="number">Size</th>
                <th class="number">Seeders</th>
                <th class="number">Leechers</th>
                <th class="number">Completed</th>
                <th>Published</th>
              </tr>
            </thead>
            <tbody>
              {torrents.map((torrent) => (
                <tr data-hash={torrent.infoHash}>
                  <td>
                    <a href={`/torrent/${torrent.infoHash}`}>{torrent.name}</a>
                  </td>
                  <td class="number">{formatBytes(torrent.totalLength)}</td>
                  <td class="number" data-field="seeders">{formatCount(torrent.seeders)}</td>
                  <td class="number" data-field="leechers">
                    {formatCount(torrent.leechers)}
                  </td>
                  <td class="number" data-field="completed">
                    {formatCount(torrent.completed)}
                  </td>
                  <td>
                    {formatTime(torrent.publishedAt)}
                    {torrent.publishedBy && <span class="by">by {torrent.publishedBy}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {torrents.length >= props.limit && (
        <p class="note">The newest {props.limit} are shown: search to narrow them down.</p>
      )}
    </Layout>
  );
}
