import { formatBytes } from "../../format.ts";
import { Layout } from "./layout.tsx";

/**
 * The publish form: a .torrent file sent as multipart/form-data to the
 * same publish as `POST /torrents`, with the token when the tracker asks
 * for one; `error` is the last attempt's refusal (its publisher name is
 * kept, the file must be chosen again).
 *
 * @example
 * ```tsx
 * c.html(<PublishPage tokenRequired maxTorrentBytes={4 << 20} error="wrong token" />, 401);
 * ```
 */
export function PublishPage(
  props: { tokenRequired: boolean; maxTorrentBytes: number; error?: string; publisher?: string },
) {
  return (
    <Layout title="Publish" section="publish">
      <h1>Publish a torrent</h1>
      {props.error && <p class="error" role="alert">{props.error}</p>}
      <form class="publish" method="post" action="/publish" enctype="multipart/form-data">
        <label>
          .torrent file (at most {formatBytes(props.maxTorrentBytes)})
          <input type="file" name="torrent" accept=".torrent,application/x-bittorrent" required />
        </label>
        <label>
          Your name (optional, shown as the publisher)
          <input type="text" name="publisher" maxlength={64} value={props.publisher} />
        </label>
        {props.tokenRequired && (
          <label>
            Publish token
            <input type="password" name="token" required />
          </label>
        )}
        <button type="submit">Publish</button>
      </form>
    </Layout>
  );
}
