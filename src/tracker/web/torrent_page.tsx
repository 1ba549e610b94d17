import type { CatalogEntry, CatalogFile } from "../catalog.ts";
import type { SwarmCounts } from "./tracker_view.ts";
import type { SwarmSample } from "../swarm_history.ts";
import { counted, formatBytes, formatCount } from "../../format.ts";
import { formatTime } from "./format.ts";
import { Layout } from "./layout.tsx";
import { SwarmChart } from "./swarm_chart.tsx";

/** Everything a torrent's page shows. */
export interface TorrentDetails {
  readonly entry: CatalogEntry;
  /** Its first files (up to the page's limit; `entry.fileCount` has them all). */
  readonly files: CatalogFile[];
  readonly magnet: string;
  readonly counts: SwarmCounts;
  /** Names its seeders announced, and how many seeders it has in all. */
  readonly seeding: { readonly names: string[]; readonly seeders: number };
  /** Its swarm over the last hours, with the counts now as the last sample. */
  readonly history: SwarmSample[];
}

function Seeders(props: { seeding: TorrentDetails["seeding"] }) {
  const { names, seeders } = props.seeding;
  const unnamed = seeders - names.length;
  if (seeders === 0) return <p class="empty">Nobody seeds it right now.</p>;
  return (
    <>
      <ul class="peers">
        {names.map((name, i) => <li key={i}>{name}</li>)}
      </ul>
      {unnamed > 0 && (
        <p class="note">
          {names.length > 0 ? "and " : ""}
          {counted(unnamed, "seeder")} without a name
        </p>
      )}
    </>
  );
}

/**
 * A published torrent: its counts, magnet link and .torrent, files,
 * seeders, swarm chart, and the owner's unpublish form.
 *
 * @example
 * ```tsx
 * c.html(<TorrentPage details={details} tokenRequired={false} />);
 * ```
 */
export function TorrentPage(props: { details: TorrentDetails; tokenRequired: boolean }) {
  const { entry, files, magnet, counts, seeding, history } = props.details;
  const more = entry.fileCount - files.length;
  return (
    <Layout title={entry.name} chart>
      <h1 class="name">{entry.name}</h1>
      <p class="actions">
        <a class="button" href={magnet}>Magnet link</a>
        <a class="button" href={`/torrents/${entry.infoHash}.torrent`} download>
          Download .torrent
        </a>
      </p>
      <dl class="facts" data-live>
        <dt>Info hash</dt>
        <dd>
          <code>{entry.infoHash}</code>
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(entry.totalLength)} in {counted(entry.fileCount, "file")}</dd>
        <dt>Published</dt>
        <dd>
          {formatTime(entry.publishedAt)}
          {entry.publishedBy && <span class="by">by {entry.publishedBy}</span>}
        </dd>
        <dt>Seeders</dt>
        <dd data-field="seeders">{formatCount(counts.seeders)}</dd>
        <dt>Leechers</dt>
        <dd data-field="leechers">{formatCount(counts.leechers)}</dd>
        <dt>Completed</dt>
        <dd data-field="completed">{formatCount(counts.completed)}</dd>
      </dl>

      <h2>Swarm</h2>
      <figure class="swarm" data-history={JSON.stringify(history)}>
        <SwarmChart samples={history} />
        <figcaption>
          <span class="key seeders">seeders</span> <span class="key leechers">leechers</span>
        </figcaption>
      </figure>

      <h2>Seeded by</h2>
      <Seeders seeding={seeding} />

      <h2>Files</h2>
      <table class="files">
        <thead>
          <tr>
            <th>Path</th>
            <th class="number">Size</th>
          </tr>
        </thead>
        <tbody>
          {files.map((file) => (
            <tr>
              <td>{file.path}</td>
              <td class="number">{formatBytes(file.length)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more > 0 && <p class="note">and {counted(more, "more file")} (see the .torrent)</p>}

      <details class="unpublish">
        <summary>Unpublish</summary>
        <form method="post" action={`/torrent/${entry.infoHash}/unpublish`}>
          {props.tokenRequired
            ? (
              <label>
                Publish token <input type="password" name="token" required />
              </label>
            )
            : <p class="note">This tracker has no publish token: only its own machine may.</p>}
          <button type="submit">Remove from the catalog</button>
        </form>
      </details>
    </Layout>
  );
}
