import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { credentialOf, sameSecret, tokenCookieOf } from "./auth.ts";
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import css from "./assets/ui.css" with { type: "text" };
import js from "./assets/ui.js" with { type: "text" };

/** The page shell; `ui.js` fills the list, the piece map and the forms' answers. */
function DaemonPage(props: { csrf: string; version: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={props.csrf} />
        <title>p2p daemon</title>
        <link rel="stylesheet" href="/assets/uplot.css" />
        <link rel="stylesheet" href="/assets/ui.css" />
        <script src="/assets/uplot.js" defer></script>
        <script src="/assets/ui.js" defer></script>
      </head>
      <body>
        <header>
          <h1>p2p daemon</h1>
          <span id="session">p2p/{props.version}</span>
        </header>
        <main>
          <section class="forms">
            <form id="add-form">
              <h2>Add a torrent</h2>
              <label>
                Magnet link, info hash or .torrent URL
                <input name="source" id="add-source" placeholder="magnet:?xt=urn:btih:..." />
              </label>
              <div class="row">
                <label>
                  or a name in a tracker's catalog
                  <input name="name" id="add-name" placeholder="eBook.txt" />
                </label>
                <label>
                  tracker
                  <input name="tracker" id="add-tracker" placeholder="http://127.0.0.1:6969" />
                </label>
              </div>
              <div class="row">
                <label>
                  or a .torrent file
                  <input type="file" name="torrent" id="add-file" accept=".torrent" />
                </label>
                <label>
                  directory
                  <input name="directory" id="add-directory" placeholder="(the daemon's)" />
                </label>
              </div>
              <button type="submit">Add</button>
            </form>
            <form id="publish-form">
              <h2>Publish a file or folder</h2>
              <label>
                Path
                <input name="path" id="publish-path" placeholder="eBook.txt" />
              </label>
              <label>
                tracker
                <input name="tracker" id="publish-tracker" placeholder="http://127.0.0.1:6969" />
              </label>
              <button type="submit">Publish and seed</button>
            </form>
          </section>
          <section id="rates">
            <h2>Transfer rates, all torrents</h2>
            <div id="rate-chart"></div>
          </section>
          <p id="message" role="status"></p>
          <table id="torrents">
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Progress</th>
                <th>State</th>
                <th>Down</th>
                <th>Up</th>
                <th>Peers</th>
                <th>Seeds / leeches</th>
                <th>ETA</th>
                <th></th>
              </tr>
            </thead>
            <tbody></tbody>
          </table>
          <p id="empty">No torrents yet.</p>
          <section id="details" hidden>
            <h2>
              Pieces of <span id="details-name"></span>
            </h2>
            <p id="details-summary"></p>
            <canvas id="piece-map" width="720" height="120"></canvas>
            <ul id="legend"></ul>
            <h2>Files</h2>
            <p>Unchecked files are not downloaded.</p>
            <ul id="files"></ul>
          </section>
        </main>
      </body>
    </html>
  );
}

/** A page for a browser without the token: where to find the address that carries it. */
function LockedPage() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>p2p daemon</title>
      </head>
      <body>
        <h1>p2p daemon</h1>
        <p>
          Open the address the daemon printed when it started (it carries the token, as
          <code>?token=...</code>), or read the token from its data directory.
        </p>
      </body>
    </html>
  );
}

/**
 * The web page: `/?token=...` trades a valid token for the page's cookie
 * (HttpOnly, SameSite=Strict) and redirects to `/`, so the token leaves
 * the address bar and history; `/` serves the page to a browser with the
 * cookie; the page's script and style, and uPlot's (the rate chart), are
 * served as they are, embedded in the program.
 *
 * @example
 * ```ts
 * app.route("/", pageRoutes({ token, csrf, version: "0.1.0" }));
 * ```
 */
export function pageRoutes(settings: { token: string; csrf: string; version: string }): Hono {
  const page = new Hono();
  page.get("/", async (c) => {
    const given = c.req.query("token");
    if (given !== undefined) {
      if (!sameSecret(given, settings.token)) {
        return c.html(`<!doctype html>${await LockedPage()}`, 401);
      }
      setCookie(c, tokenCookieOf(c), settings.token, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
      });
      return c.redirect("/", 303);
    }
    if (credentialOf(c, settings.token) === undefined) {
      return c.html(`<!doctype html>${await LockedPage()}`, 401);
    }
    return c.html(
      `<!doctype html>${await DaemonPage({ csrf: settings.csrf, version: settings.version })}`,
    );
  });
  page.get("/assets/ui.js", (c) => c.body(js, 200, { "Content-Type": "text/javascript" }));
  page.get("/assets/ui.css", (c) => c.body(css, 200, { "Content-Type": "text/css" }));
  page.get("/assets/uplot.js", (c) => c.body(uplotJs, 200, { "Content-Type": "text/javascript" }));
  page.get("/assets/uplot.css", (c) => c.body(uplotCss, 200, { "Content-Type": "text/css" }));
  return page;
}
