/** The daemon's guards over real HTTP: token, cookie, CSRF, Host; and the token file. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CSRF_HEADER, csrfTokenFor, hostAllowed, tokenCookie } from "../../src/daemon/mod.ts";
import { withDaemon } from "./daemon_helpers.ts";

/**
 * A raw HTTP/1.1 request, so the test chooses the Host header itself; read
 * to the end of the connection or of a JSON answer (a server that did not
 * read the body it refused need not close).
 */
async function rawRequest(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
    let text = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const count = await conn.read(buffer);
      if (count === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, count));
      if (/\r\n\r\n\{.*\}$/s.test(text)) break;
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("hostAllowed: loopback names, IP literals only beyond loopback, no other names", () => {
  const cases: [string | undefined, boolean, boolean][] = [
    ["127.0.0.1:9092", false, true],
    ["localhost:9092", false, true],
    ["LOCALHOST", false, true],
    ["[::1]:9092", false, true],
    ["127.1.2.3", false, true],
    ["evil.example:9092", false, false],
    ["localhost.evil.example", false, false],
    ["192.168.1.5:9092", false, false],
    ["192.168.1.5:9092", true, true],
    ["[fe80::1]:9092", true, true],
    ["evil.example", true, false],
    [undefined, false, false],
    ["", false, false],
    ["127.0.0.1:9092:1", false, false],
  ];
  for (const [host, beyond, expected] of cases) {
    assert.equal(hostAllowed(host, beyond), expected, `${host} (beyond loopback: ${beyond})`);
  }
});

Deno.test("daemon auth: token file 0600, 401 without a token, 403 for a foreign Host", async () => {
  await withDaemon(async (daemon, dir) => {
    const token = await Deno.readTextFile(join(dir, "state", "token"));
    assert.equal(token.trim(), daemon.token);
    assert.equal((await Deno.stat(join(dir, "state", "token"))).mode! & 0o777, 0o600);

    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: "Basic x" },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${daemon.base}/api/torrents`, { headers });
      assert.equal(response.status, 401);
      assert.match((await response.json()).error, /token/);
    }
    const wrongCookie = await fetch(`${daemon.base}/api/torrents`, {
      headers: { Cookie: `${tokenCookie(daemon.port)}=${"0".repeat(64)}` },
    });
    assert.equal(wrongCookie.status, 401);
    await wrongCookie.body?.cancel();
    // Another port's daemon has its own cookie: browsers share cookies across ports.
    const otherPort = await fetch(`${daemon.base}/api/torrents`, {
      headers: { Cookie: `${tokenCookie(daemon.port + 1)}=${daemon.token}` },
    });
    assert.equal(otherPort.status, 401);
    await otherPort.body?.cancel();

    const rebound = await rawRequest(
      daemon.port,
      `GET /api/torrents HTTP/1.1\r\nHost: evil.example:${daemon.port}\r\nAuthorization: Bearer ${daemon.token}`,
    );
    assert.match(rebound, /^HTTP\/1\.1 403/);
    assert.match(rebound, /"error":"this Host is not the daemon's/);
    const page = await rawRequest(daemon.port, `GET / HTTP/1.1\r\nHost: evil.example`);
    assert.match(page, /^HTTP\/1\.1 403/);
    const local = await rawRequest(
      daemon.port,
      `GET /api/torrents HTTP/1.1\r\nHost: localhost:${daemon.port}\r\nAuthorization: Bearer ${daemon.token}`,
    );
    assert.match(local, /^HTTP\/1\.1 200/);
  });
});

Deno.test("daemon page: ?token= sets an HttpOnly SameSite=Strict cookie and redirects", async () => {
  await withDaemon(async (daemon) => {
    const locked = await fetch(`${daemon.base}/`);
    assert.equal(locked.status, 401);
    assert.doesNotMatch(await locked.text(), /csrf-token/);
    const wrong = await fetch(`${daemon.base}/?token=nope`, { redirect: "manual" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);
    await wrong.body?.cancel();

    const login = await fetch(daemon.url, { redirect: "manual" });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    assert.equal(login.headers.get("referrer-policy"), "no-referrer");
    const cookie = login.headers.get("set-cookie")!;
    assert.match(cookie, new RegExp(`^${tokenCookie(daemon.port)}=${daemon.token};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    await login.body?.cancel();

    const page = await fetch(`${daemon.base}/`, {
      headers: { Cookie: `${tokenCookie(daemon.port)}=${daemon.token}` },
    });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(
      html,
      new RegExp(`<meta name="csrf-token" content="${csrfTokenFor(daemon.token)}"`),
    );
    assert.doesNotMatch(html, new RegExp(daemon.token), "the page never holds the token");
    assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  });
});

Deno.test("daemon CSRF: cookie-authenticated changes need the header and a same-origin request", async () => {
  await withDaemon(async (daemon) => {
    const cookie = `${tokenCookie(daemon.port)}=${daemon.token}`;
    const csrf = csrfTokenFor(daemon.token);
    const add = (headers: Record<string, string>) =>
      fetch(`${daemon.base}/api/torrents`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ source: "0123456789abcdef0123456789abcdef01234567" }),
      });
    const refusals: [string, Record<string, string>, RegExp][] = [
      ["no CSRF header", { Cookie: cookie }, /X-CSRF-Token/],
      ["a wrong CSRF header", { Cookie: cookie, [CSRF_HEADER]: "0".repeat(64) }, /X-CSRF-Token/],
      [
        "another site",
        { Cookie: cookie, [CSRF_HEADER]: csrf, "Sec-Fetch-Site": "cross-site" },
        /cross-site/,
      ],
      [
        "another origin",
        { Cookie: cookie, [CSRF_HEADER]: csrf, Origin: "http://evil.example" },
        /cross-origin/,
      ],
    ];
    for (const [what, headers, message] of refusals) {
      const response = await add(headers);
      assert.equal(response.status, 403, what);
      assert.match((await response.json()).error, message, what);
    }
    assert.deepEqual((await daemon.call("GET", "/torrents")).json.torrents, []);

    // Reading needs no CSRF header: a cross-site page cannot read the answer anyway.
    const listed = await fetch(`${daemon.base}/api/torrents`, { headers: { Cookie: cookie } });
    assert.equal(listed.status, 200);
    await listed.body?.cancel();
    const accepted = await add({
      Cookie: cookie,
      [CSRF_HEADER]: csrf,
      "Sec-Fetch-Site": "same-origin",
      Origin: daemon.base,
    });
    assert.equal(accepted.status, 201);
    await accepted.body?.cancel();
    // A bearer token is proof enough: no other site can send that header.
    const paused = await daemon.call(
      "POST",
      "/torrents/0123456789abcdef0123456789abcdef01234567/pause",
    );
    assert.equal(paused.status, 200);
  });
});

Deno.test("daemon API: a body past the limit is refused by its Content-Length, unread", async () => {
  await withDaemon(async (daemon) => {
    const answer = await rawRequest(
      daemon.port,
      `POST /api/torrents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${daemon.token}` +
        "\r\nContent-Type: application/json\r\nContent-Length: 999999999",
    );
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /"error":"request body too large"/);
  });
});
