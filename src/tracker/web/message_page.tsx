import { Layout } from "./layout.tsx";

/**
 * A page that only says something went wrong, and what: an unknown
 * torrent, a refused unpublish.
 *
 * @example
 * ```tsx
 * c.html(<MessagePage title="Not found" message="no published torrent aabb..." />, 404);
 * ```
 */
export function MessagePage(props: { title: string; message: string }) {
  return (
    <Layout title={props.title}>
      <h1>{props.title}</h1>
      <p class="error" role="alert">{props.message}</p>
      <p>
        <a href="/">Back to the catalog</a>
      </p>
    </Layout>
  );
}
