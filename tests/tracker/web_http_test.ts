import assert from "node:assert/strict";
import { parseMagnet, parseMetainfo } from "../../src/metainfo/mod.ts";
import {
  encodeAnnounceRequest,
  encodeScrapeRequest,
  publishTorrent,
  searchCatalog,
} from "../../src/tracker/mod.ts";
import { id, withTracker } from "./tracker_helpers.ts";
import { announceFields, transactionId, UdpPeer } from "./udp_helpers.ts";
import {
  announcePeer,
  hashOf,
  HOSTILE_FILE,
  HOSTILE_NAME,
  HOSTILE_PEER,
  makeTorrent,
  postForm,
  publishForm,
} from "./web_helpers.ts";

const HTML = "text/html; charset=UTF-8";
const JSON_TYPE = /^application\/json/;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, type: response.headers.get("content-type"), response };
}

async function text(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: await response.text(),
  };
}

/** The text of HTML with its tags dropped and entities read, as a browser would show it. */
function shown(html: string): string {
  return html.replace(/<[^>]*>/g, "").replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

/** Every value of an attribute in HTML, its entities read. */
function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`${name}="([^"]*)"`, "g"))].map(([, value]) =>
    value.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">").replaceAll("&amp;", "&")
  );
}

Deno.test("web: every page and endpoint answers with its status and content type", async () => {
  await withTracker({}, async ({ base }) => {
    const bytes = makeTorrent("eBook.txt");
    const hex = hashOf(bytes);
    await publishTorrent(base, bytes, { peerName: "client2" });
    const cases: [string, Record<string, string>, number, string | RegExp][] = [
      ["/", {}, 200, HTML],
      ["/?q=ebook", {}, 200, HTML],
      ["/?q=ebook", { accept: "application/json" }, 200, JSON_TYPE],
      [`/torrent/${hex}`, {}, 200, HTML],
      [`/torrent/${hex.toUpperCase()}`, {}, 200, HTML],
      [`/torrent/${hex}`, { accept: "application/json" }, 200, JSON_TYPE],
      [`/torrent/${"0".repeat(40)}`, {}, 404, HTML],
      [`/torrent/${"0".repeat(40)}`, { accept: "application/json" }, 404, JSON_TYPE],
      ["/torrent/not-a-hash", {}, 404, HTML],
      ["/torrent/", {}, 404, HTML],
      ["/publish", {}, 200, HTML],
      ["/stats", {}, 200, HTML],
      ["/stats", { accept: "application/json" }, 200, JSON_TYPE],
      ["/stats.json", {}, 200, JSON_TYPE],
      ["/metrics", {}, 200, "text/plain; version=0.0.4; charset=utf-8"],
      [`/torrents/${hex}.torrent`, {}, 200, "application/x-bittorrent"],
      ["/torrents", {}, 200, JSON_TYPE],
      ["/static/nothing.js", {}, 404, /^text\/plain/],
    ];
    for (const [path, headers, status, type] of cases) {
      const answer = await get(`${base}${path}`, headers);
      await answer.response.body?.cancel();
      assert.equal(answer.status, status, `${path} ${JSON.stringify(headers)}`);
      if (typeof type === "string") assert.equal(answer.type, type, path);
      else assert.match(answer.type ?? "", type, path);
    }
    // Pages forbid what they do not use, should a name ever get through as markup.
    const home = await fetch(`${base}/`);
    await home.body?.cancel();
    assert.match(home.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.equal(home.headers.get("x-content-type-options"), "nosniff");
    assert.equal(home.headers.get("vary"), "accept");
    // The catalog's JSON for the CLI is as it was.
    const [listed] = await searchCatalog(base, "");
    assert.deepEqual(
      Object.keys(listed).toSorted(),
      [
        "fileCount",
        "files",
        "infoHash",
        "leechers",
        "magnet",
        "name",
        "publishedAt",
        "publishedBy",
        "seeders",
        "totalLength",
      ],
    );
    // In seconds, as creationDate is: within a minute of now.
    assert.ok(Math.abs(listed.publishedAt - Date.now() / 1000) < 60, String(listed.publishedAt));
    // The page's assets come with long caching, at paths that change with them.
    const page = (await text(`${base}/torrent/${hex}`)).body;
    const assets = [...attributes(page, "src"), ...attributes(page, "href")]
      .filter((path) => path.startsWith("/static/"));
    assert.equal(assets.length, 4, assets.join(" "));
    for (const path of assets) {
      const asset = await get(`${base}${path}`);
      assert.equal(asset.status, 200, path);
      assert.match(asset.type ?? "", path.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
      assert.equal(
        asset.response.headers.get("cache-control"),
        "public, max-age=31536000, immutable",
      );
      assert.ok((await asset.response.text()).length > 100);
    }
  });
});

Deno.test("web: the catalog lists and searches, the torrent page shows files, magnet, seeders and counts", async () => {
  await withTracker({}, async ({ base }) => {
    const album = makeTorrent("album", [
      { path: ["cd1", "01.flac"], length: 30_000 },
      { path: ["cd1", "02.flac"], length: 20_000 },
    ]);
    const ebook = makeTorrent("eBook.txt");
    const hex = hashOf(album);
    await publishTorrent(base, album, { peerName: "client1" });
    await publishTorrent(base, ebook);
    await announcePeer(base, hex, 1, { left: 0, name: "alice" });
    await announcePeer(base, hex, 2, { left: 0 });
    await announcePeer(base, hex, 3, { left: 100, name: "leecher bob" });

    const all = shown((await text(`${base}/`)).body);
    assert.match(all, /album/);
    assert.match(all, /eBook\.txt/);
    const found = await text(`${base}/?q=ALB`);
    assert.match(shown(found.body), /album/);
    assert.doesNotMatch(shown(found.body), /eBook/);
    assert.ok(attributes(found.body, "href").includes(`/torrent/${hex}`));
    assert.match(
      shown((await text(`${base}/?q=nothing-like-it`)).body),
      /No published torrent has/,
    );
    const listing =
      await (await fetch(`${base}/?q=album`, { headers: { accept: "application/json" } }))
        .json();
    assert.equal(listing.torrents.length, 1);
    assert.deepEqual(
      [listing.torrents[0].seeders, listing.torrents[0].leechers, listing.torrents[0].completed],
      [2, 1, 0],
    );

    const page = await text(`${base}/torrent/${hex}`);
    const body = shown(page.body);
    for (
      const expected of [
        /album\/cd1\/01\.flac\s*29\.3 KiB/,
        /album\/cd1\/02\.flac/,
        /alice/,
        /1 seeder without a name/,
        /by client1/,
      ]
    ) {
      assert.match(body, expected);
    }
    assert.doesNotMatch(body, /leecher bob/, "leechers are not listed as seeders");
    const magnet = attributes(page.body, "href").find((href) => href.startsWith("magnet:"))!;
    const link = parseMagnet(magnet);
    assert.equal(link.infoHash.hex, hex);
    assert.equal(link.name, "album");
    assert.deepEqual(link.trackerTiers, [[`${base}/announce`]]);
    const details =
      await (await fetch(`${base}/torrent/${hex}`, { headers: { accept: "application/json" } }))
        .json();
    assert.deepEqual([details.seeders, details.leechers, details.completed], [2, 1, 0]);
    assert.deepEqual(details.seederNames, ["alice"]);
    assert.equal(details.history.at(-1).seeders, 2);

    const download = await fetch(`${base}/torrents/${hex}.torrent`);
    assert.equal(
      download.headers.get("content-disposition"),
      `attachment; filename="album.torrent"; filename*=UTF-8''album.torrent`,
    );
    assert.equal(parseMetainfo(new Uint8Array(await download.arrayBuffer())).infoHash.hex, hex);
  });
});

Deno.test("web: hostile torrent, file, publisher and peer names render as text everywhere", async () => {
  await withTracker({}, async ({ base }) => {
    const bytes = makeTorrent(HOSTILE_NAME, [{ path: [HOSTILE_FILE], length: 1000 }]);
    const hex = hashOf(bytes);
    await publishTorrent(base, bytes, { peerName: HOSTILE_PEER });
    await announcePeer(base, hex, 1, { left: 0, name: HOSTILE_PEER });
    for (const path of ["/", `/?q=${encodeURIComponent(HOSTILE_NAME)}`, `/torrent/${hex}`]) {
      const { body } = await text(`${base}${path}`);
      for (const tag of ["<img", "<b>", "</script><script>", "<script>alert"]) {
        assert.ok(!body.includes(tag), `${path} holds ${tag} as markup`);
      }
      assert.ok(shown(body).includes(HOSTILE_NAME), `${path} shows the name`);
      if (path !== "/") continue;
      assert.ok(shown(body).includes(HOSTILE_PEER), "the publisher is shown");
    }
    const page = (await text(`${base}/torrent/${hex}`)).body;
    assert.ok(shown(page).includes(`${HOSTILE_NAME}/${HOSTILE_FILE}`), "the file is shown");
    assert.ok(shown(page).includes(HOSTILE_PEER), "the seeder is shown");
    assert.ok(attributes(page, "value").every((value) => !value.includes("<")));
    // In the search box's value attribute too.
    const search = (await text(`${base}/?q=${encodeURIComponent(`"><img src=x>`)}`)).body;
    assert.ok(!search.includes("<img"));
    assert.ok(attributes(search, "value").includes(`"><img src=x>`));
    const magnet = attributes(page, "href").find((href) => href.startsWith("magnet:"))!;
    assert.ok(!magnet.includes("<") && !magnet.includes('"'), magnet);
    assert.equal(parseMagnet(magnet).name, HOSTILE_NAME);
    const download = await fetch(`${base}/torrents/${hex}.torrent`);
    await download.body?.cancel();
    const disposition = download.headers.get("content-disposition")!;
    assert.equal(
      disposition.split("; ")[1],
      `filename="<img src=x onerror=alert(1)>_'&amp;.torrent"`,
    );
    assert.equal(decodeURIComponent(disposition.split("UTF-8''")[1]), `${HOSTILE_NAME}.torrent`);
  });
});

Deno.test("web: the publish form publishes as POST /torrents does, and refuses bad input with 4xx", async () => {
  await withTracker({ maxTorrentBytes: 2048 }, async ({ base, catalog, logLines }) => {
    const bytes = makeTorrent("form.bin");
    const hex = hashOf(bytes);
    const done = await postForm(`${base}/publish`, publishForm(bytes, { publisher: " dave " }));
    await done.body?.cancel();
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), `/torrent/${hex}`);
    assert.equal(catalog.entry(hex)?.publishedBy, "dave");
    assert.ok(logLines.includes(`dave published form.bin [${hex.slice(0, 8)}]`));
    const again = await postForm(`${base}/publish`, publishForm(bytes));
    await again.body?.cancel();
    assert.equal(again.status, 303, "publishing again goes to the same page");

    const refusals: [string, RequestInit, number, RegExp][] = [
      [
        "not a torrent",
        { body: publishForm(new TextEncoder().encode("d4:infoi1ee")) },
        400,
        /not a valid torrent/,
      ],
      ["no file", { body: new FormData() }, 400, /choose a \.torrent file/],
      [
        "too large",
        { body: publishForm(new Uint8Array(3000)) },
        413,
        /too large: larger than 2 KiB/,
      ],
      [
        "far too large",
        { body: publishForm(new Uint8Array(200_000)) },
        413,
        /too large: larger than 2 KiB/,
      ],
      [
        "malformed multipart",
        {
          headers: { "content-type": "multipart/form-data; boundary=xyz" },
          body: "no boundary anywhere in here",
        },
        400,
        /not valid multipart\/form-data/,
      ],
      [
        "multipart without a boundary",
        { headers: { "content-type": "multipart/form-data" }, body: "--xyz\r\n" },
        400,
        /not valid multipart\/form-data/,
      ],
      [
        "not multipart",
        { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "torrent=x" },
        415,
        /multipart\/form-data/,
      ],
    ];
    for (const [label, init, status, message] of refusals) {
      const response = await fetch(`${base}/publish`, {
        method: "POST",
        redirect: "manual",
        ...init,
      });
      assert.equal(response.status, status, label);
      assert.equal(response.headers.get("content-type"), HTML, label);
      const body = shown(await response.text());
      assert.match(body, message, label);
      assert.match(body, /Publish a torrent/, `${label}: the form is there to try again`);
      assert.doesNotMatch(body, /at .*\.ts:\d+/, `${label}: no stack trace`);
    }
    assert.equal(catalog.size, 1);
  });
});

Deno.test("web: with --publish-token, the form needs the token: 401 without or wrong, 303 with it", async () => {
  await withTracker({ publishToken: "s3cret" }, async ({ base, catalog }) => {
    const bytes = makeTorrent("secret.bin");
    const form = (await text(`${base}/publish`)).body;
    assert.match(form, /name="token"/);
    for (const token of [undefined, "wrong", "s3cret "]) {
      const response = await postForm(
        `${base}/publish`,
        publishForm(bytes, token === undefined ? {} : { token }),
      );
      assert.equal(response.status, 401, `token ${token}`);
      assert.match(shown(await response.text()), /wrong publish token/);
    }
    assert.equal(catalog.size, 0);
    const kept = await postForm(`${base}/publish`, publishForm(bytes, { publisher: `"zoe"` }));
    assert.equal(kept.status, 401);
    assert.ok(attributes(await kept.text(), "value").includes(`"zoe"`), "the name is kept");
    const done = await postForm(`${base}/publish`, publishForm(bytes, { token: "s3cret" }));
    await done.body?.cancel();
    assert.equal(done.status, 303);
    assert.ok(catalog.has(hashOf(bytes)));
  });
  await withTracker({}, async ({ base }) => {
    assert.doesNotMatch((await text(`${base}/publish`)).body, /name="token"/);
  });
});

Deno.test("web: unpublish with the token (DELETE /torrents/<hash> or the page's form); without one, from loopback only", async () => {
  await withTracker({ publishToken: "s3cret" }, async ({ base, catalog }) => {
    const bytes = makeTorrent("gone.bin");
    const hex = hashOf(bytes);
    await publishTorrent(base, bytes, { token: "s3cret" });
    for (const authorization of [undefined, "Bearer wrong", "s3cret"]) {
      const response = await fetch(`${base}/torrents/${hex}`, {
        method: "DELETE",
        headers: authorization ? { authorization } : {},
      });
      assert.equal(response.status, 401);
      assert.match((await response.json()).error, /needs the tracker's publish token/);
    }
    const wrongForm = new FormData();
    wrongForm.set("token", "nope");
    const refused = await postForm(`${base}/torrent/${hex}/unpublish`, wrongForm);
    assert.equal(refused.status, 401);
    assert.match(shown(await refused.text()), /needs the tracker's publish token/);
    // A form too large to be one is not read, token or not.
    const padded = new FormData();
    padded.set("token", "s3cret");
    padded.set("padding", "x".repeat(100_000));
    const huge = await postForm(`${base}/torrent/${hex}/unpublish`, padded);
    assert.equal(huge.status, 401);
    await huge.body?.cancel();
    assert.ok(catalog.has(hex));

    const deleted = await fetch(`${base}/torrents/${hex}`, {
      method: "DELETE",
      headers: { authorization: "Bearer s3cret" },
    });
    assert.deepEqual(await deleted.json(), { infoHash: hex, name: "gone.bin" });
    assert.equal(catalog.has(hex), false);
    assert.deepEqual(await searchCatalog(base, "gone"), []);
    const page = await fetch(`${base}/torrent/${hex}`);
    await page.body?.cancel();
    assert.equal(page.status, 404);
    const twice = await fetch(`${base}/torrents/${hex}`, {
      method: "DELETE",
      headers: { authorization: "Bearer s3cret" },
    });
    assert.equal(twice.status, 404);
    await twice.body?.cancel();

    await publishTorrent(base, bytes, { token: "s3cret" });
    const form = new FormData();
    form.set("token", "s3cret");
    const viaForm = await postForm(`${base}/torrent/${hex}/unpublish`, form);
    await viaForm.body?.cancel();
    assert.equal(viaForm.status, 303);
    assert.equal(viaForm.headers.get("location"), "/");
    assert.equal(catalog.has(hex), false);
  });
  await withTracker({}, async ({ base, catalog, logLines }) => {
    const bytes = makeTorrent("local.bin");
    const hex = hashOf(bytes);
    await publishTorrent(base, bytes);
    const response = await fetch(`${base}/torrents/${hex}`, { method: "DELETE" });
    assert.equal(response.status, 200, "from loopback without a token");
    await response.body?.cancel();
    assert.equal(catalog.has(hex), false);
    assert.ok(logLines.includes(`unpublished local.bin [${hex.slice(0, 8)}]`));
  });
  await withTracker({ trustProxy: true }, async ({ base, catalog }) => {
    const bytes = makeTorrent("proxied.bin");
    await publishTorrent(base, bytes);
    const response = await fetch(`${base}/torrents/${hashOf(bytes)}`, { method: "DELETE" });
    assert.equal(response.status, 403, "behind a proxy every request looks local");
    assert.match((await response.json()).error, /--publish-token/);
    assert.equal(catalog.size, 1);
  });
});

/** One sample of the Prometheus text format. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const METRIC_NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE_LINE = new RegExp(
  `^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: (-?\\d+))?$`,
);

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly:
 * HELP and TYPE lines, each family's TYPE once and before its samples,
 * samples of declared families only, counters named `_total`, values as
 * Go's ParseFloat reads them, no family twice, a final newline.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const closed = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, keyword, name, rest] = comment;
      assert.match(name, new RegExp(`^${METRIC_NAME}$`), line);
      if (name !== current) {
        assert.ok(!closed.has(name), `${name} comes back after another family`);
        if (current) closed.add(current);
        current = name;
      }
      if (keyword === "TYPE") {
        assert.ok(!types.has(name), `TYPE of ${name} twice`);
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, line);
        assert.ok(!samples.some((sample) => sample.name === name), `TYPE of ${name} after samples`);
        types.set(name, rest);
      } else {
        assert.ok(rest.length > 0, `HELP of ${name} is empty`);
      }
      continue;
    }
    assert.ok(!line.startsWith("#") || line.startsWith("# "), line);
    if (line === "" || line.startsWith("# ")) continue;
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, , , , , value] = match;
    assert.equal(name, current, `${name} sampled outside its family`);
    assert.ok(types.has(name), `${name} has no TYPE`);
    if (types.get(name) === "counter") assert.match(name, /_total$/);
    assert.match(value, /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|NaN|[+-]Inf)$/, line);
    const labels: Record<string, string> = {};
    for (const [, key, labelValue] of (labelText ?? "").matchAll(new RegExp(LABEL, "g"))) {
      assert.ok(!(key in labels), `label ${key} twice`);
      labels[key] = labelValue;
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return { types, samples };
}

Deno.test("the Prometheus parser of these tests refuses what the format does not allow", () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n';
  assert.equal(parsePrometheus(good).samples[0].value, 3);
  for (
    const bad of [
      "# TYPE a gauge\na 1",
      "a 1\n",
      "# TYPE a gauge\na one\n",
      "# TYPE a gauge\n# TYPE a gauge\na 1\n",
      "# TYPE a counter\na 1\n",
      '# TYPE a gauge\na{x="1} 1\n',
      '# TYPE a gauge\na{1x="1"} 1\n',
      "# TYPE a gauge\n# TYPE b gauge\na 1\n",
    ]
  ) {
    assert.throws(() => parsePrometheus(bad), JSON.stringify(bad));
  }
});

Deno.test("web: /metrics and /stats.json count announces and scrapes by protocol; the syntax parses", async () => {
  await withTracker({}, async ({ base, udpAnnounceUrl }) => {
    const bytes = makeTorrent("counted.bin");
    const hex = hashOf(bytes);
    await publishTorrent(base, bytes);
    await announcePeer(base, hex, 1, { left: 0 });
    await announcePeer(base, hex, 2, { left: 10 });
    await announcePeer(base, hex, 3, { left: 10 });
    await (await fetch(`${base}/scrape?info_hash=${"%aa".repeat(20)}`)).body?.cancel();
    const udp = await UdpPeer.open(udpAnnounceUrl!);
    try {
      const connectionId = await udp.connect();
      await udp.request(
        encodeAnnounceRequest(announceFields(connectionId, { infoHash: id(0xbb) })),
      );
      await udp.request(
        encodeScrapeRequest({
          connectionId,
          transactionId: transactionId(),
          infoHashes: [id(0xbb), id(0xcc)],
        }),
      );
    } finally {
      udp.close();
    }

    const response = await fetch(`${base}/metrics`);
    const { types, samples } = parsePrometheus(await response.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((sample) =>
        sample.name === name && JSON.stringify(sample.labels) === JSON.stringify(labels)
      )?.value;
    assert.equal(types.get("p2p_tracker_announces_total"), "counter");
    assert.equal(value("p2p_tracker_announces_total", { protocol: "http" }), 3);
    assert.equal(value("p2p_tracker_announces_total", { protocol: "udp" }), 1);
    assert.equal(value("p2p_tracker_scrapes_total", { protocol: "http" }), 1);
    assert.equal(value("p2p_tracker_scrapes_total", { protocol: "udp" }), 1);
    assert.equal(value("p2p_tracker_swarms"), 2);
    assert.equal(value("p2p_tracker_peers", { role: "seeder" }), 1);
    assert.equal(value("p2p_tracker_peers", { role: "leecher" }), 3);
    assert.equal(value("p2p_tracker_published_torrents"), 1);
    assert.ok(value("p2p_tracker_uptime_seconds")! >= 0);
    assert.ok(value("process_resident_memory_bytes")! > 10_000_000);

    const stats = await (await fetch(`${base}/stats.json`)).json();
    assert.deepEqual(stats.announces, { http: 3, udp: 1 });
    assert.deepEqual(stats.scrapes, { http: 1, udp: 1 });
    assert.deepEqual(
      [stats.swarms, stats.peers, stats.seeders, stats.leechers, stats.published],
      [2, 4, 1, 3, 1],
    );
    const page = shown((await text(`${base}/stats`)).body);
    assert.match(page, /Published torrents\s*1/);
    assert.match(page, /Leechers\s*3/);
  });
});
