import assert from "node:assert/strict";
import { attachment } from "../../src/tracker/content_disposition.ts";

Deno.test("content-disposition: hostile names cannot end the value or add a header", () => {
  const cases: [string, string][] = [
    ["plain.torrent", `attachment; filename="plain.torrent"; filename*=UTF-8''plain.torrent`],
    [
      `say "hi" 'there'.torrent`,
      `attachment; filename="say _hi_ 'there'.torrent"; filename*=UTF-8''say%20%22hi%22%20%27there%27.torrent`,
    ],
    [
      "a\r\nSet-Cookie: x=1\\.torrent",
      `attachment; filename="a__Set-Cookie: x=1_.torrent"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1%5C.torrent`,
    ],
    [
      "Ünïcødé 100%.torrent",
      `attachment; filename="_n_c_d_ 100_.torrent"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20100%25.torrent`,
    ],
  ];
  for (const [name, header] of cases) {
    assert.equal(attachment(name), header, name);
    // A Headers object takes it: no character a header may not hold.
    new Headers({ "content-disposition": attachment(name) });
    assert.equal(decodeURIComponent(header.split("UTF-8''")[1]), name);
  }
});
