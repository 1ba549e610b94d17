import assert from "node:assert/strict";
import { announceQuery, getBencoded, text, withTracker } from "./tracker_helpers.ts";

/** Sends raw bytes on a fresh connection and returns what comes back within `ms`. */
async function raw(base: string, bytes: Uint8Array | string, ms = 2000): Promise<string> {
  const { hostname, port } = new URL(base);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const payload = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  try {
    for (let written = 0; written < payload.length;) {
      written += await connection.write(payload.subarray(written));
    }
    const chunks: string[] = [];
    const buffer = new Uint8Array(65536);
    const deadline = setTimeout(() => connection.close(), ms);
    try {
      while (true) {
        const read = await connection.read(buffer);
        if (read === null) break;
        chunks.push(new TextDecoder().decode(buffer.subarray(0, read)));
      }
    } catch {
      // closed by the deadline
    } finally {
      clearTimeout(deadline);
    }
    return chunks.join("");
  } finally {
    try {
      connection.close();
    } catch {
      // already closed
    }
  }
}

Deno.test("a 100 KB query is refused and the tracker keeps serving", async () => {
  await withTracker({}, async ({ base }) => {
    const reply = await raw(
      base,
      `GET /announce?${announceQuery({})}&pad=${"x".repeat(100_000)} HTTP/1.1\r\nHost: t\r\n\r\n`,
    );
    assert.match(reply, /^HTTP\/1\.1 (414|431|400)/);
    const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
    assert.equal(answer.get("interval"), 1800);
  });
});

Deno.test("garbage bytes get an error or a closed socket, never a crash", async () => {
  await withTracker({}, async ({ base }) => {
    const garbage = crypto.getRandomValues(new Uint8Array(4096));
    const reply = await raw(base, garbage, 1000);
    assert.ok(reply === "" || /^HTTP\/1\.[01] 4\d\d/.test(reply), reply.slice(0, 80));
    await raw(base, "GET /announce?info_hash=%ZZ HTTP/1.1\r\nHost: t\r\n\r\n", 500);
    const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
    assert.equal(answer.get("interval"), 1800);
  });
});

Deno.test("a slow client does not hold up anyone else", async () => {
  await withTracker({}, async ({ base }) => {
    const { hostname, port } = new URL(base);
    const slow = await Deno.connect({ hostname, port: Number(port) });
    try {
      await slow.write(new TextEncoder().encode("GET /announce?info_hash="));
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
        assert.equal(answer.get("interval"), 1800);
      }
      assert.ok(performance.now() - started < 5000);
    } finally {
      slow.close();
    }
  });
});

Deno.test("unknown paths and methods get 404, failures stay bencoded", async () => {
  await withTracker({}, async ({ base }) => {
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const wrongMethod = await fetch(`${base}/announce`, { method: "DELETE" });
    assert.equal(wrongMethod.status, 404);
    await wrongMethod.body?.cancel();
    const failure = await getBencoded(`${base}/announce?port=1`);
    assert.match(text(failure.get("failure reason")), /missing info_hash/);
  });
});

Deno.test("a publish whose body never finishes is cut off after 10 s; others are served meanwhile", async () => {
  await withTracker({}, async ({ base }) => {
    const { hostname, port } = new URL(base);
    const slow = await Deno.connect({ hostname, port: Number(port) });
    try {
      const started = performance.now();
      await slow.write(
        new TextEncoder().encode(
          "POST /torrents HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nd8:announce",
        ),
      );
      const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
      assert.equal(answer.get("interval"), 1800);
      const buffer = new Uint8Array(4096);
      const read = await slow.read(buffer);
      const seconds = (performance.now() - started) / 1000;
      assert.ok(read !== null && read > 0, "an answer came back");
      assert.match(new TextDecoder().decode(buffer.subarray(0, read!)), /^HTTP\/1\.1 4\d\d/);
      assert.ok(seconds >= 9 && seconds < 15, `cut off after ${seconds.toFixed(1)} s`);
    } finally {
      slow.close();
    }
  });
});
