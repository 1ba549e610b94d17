import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools, withTempDir } from "../helpers.ts";
import { announceQuery, getBencoded, withTracker } from "./tracker_helpers.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Opens `count` TCP connections that never send a byte. */
async function idleConnections(base: string, count: number): Promise<Deno.TcpConn[]> {
  const { hostname, port } = new URL(base);
  const connections: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    connections.push(await Deno.connect({ hostname, port: Number(port) }));
  }
  return connections;
}

function closeAll(connections: Deno.TcpConn[]): void {
  for (const connection of connections) {
    try {
      connection.close();
    } catch {
      // closed by the tracker
    }
  }
}

/** Resolves with what the peer sent once it closes the connection, or null after `ms`. */
async function closedWithin(connection: Deno.TcpConn, ms: number): Promise<string | null> {
  const buffer = new Uint8Array(4096);
  let received = "";
  const deadline = setTimeout(() => connection.close(), ms);
  try {
    while (true) {
      const read = await connection.read(buffer);
      if (read === null) return received;
      received += new TextDecoder().decode(buffer.subarray(0, read));
    }
  } catch {
    return null; // our deadline closed it: the tracker did not
  } finally {
    clearTimeout(deadline);
  }
}

Deno.test("a connection idle for the idle timeout is closed: before a request, after one, or mid-headers", async () => {
  await withTracker({ idleTimeoutMs: 300 }, async ({ base }) => {
    const [silent, served, halfway] = await idleConnections(base, 3);
    const started = performance.now();
    const request = `GET /announce?${announceQuery({})} HTTP/1.1\r\nHost: t\r\n\r\n`;
    await served.write(new TextEncoder().encode(request));
    await halfway.write(new TextEncoder().encode("GET /announce?info_hash="));
    const [a, b, c] = await Promise.all(
      [silent, served, halfway].map((connection) => closedWithin(connection, 5000)),
    );
    const seconds = (performance.now() - started) / 1000;
    assert.equal(a, "", "closed without a word");
    assert.match(b!, /^HTTP\/1\.1 200 .*d8:complete/s, "answered, then closed");
    assert.equal(c, "", "a client that never finishes its headers is cut off too");
    assert.ok(seconds < 3, `closed after ${seconds.toFixed(1)} s`);
  });
});

Deno.test("a request in flight is not cut off by the idle timeout", async () => {
  await withTracker({ idleTimeoutMs: 200 }, async ({ base }) => {
    const { hostname, port } = new URL(base);
    const slow = await Deno.connect({ hostname, port: Number(port) });
    try {
      // The headers promise a body that arrives after several idle timeouts.
      await slow.write(
        new TextEncoder().encode(
          "POST /torrents HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\n",
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 800));
      await slow.write(new TextEncoder().encode("hello"));
      const reply = await closedWithin(slow, 5000);
      assert.match(reply ?? "", /^HTTP\/1\.1 400 .*not a valid torrent/s);
    } finally {
      closeAll([slow]);
    }
  });
});

Deno.test("at --max-connections the longest-idle connection makes room for a new one", async () => {
  await withTracker({ maxConnections: 4 }, async ({ base, logLines }) => {
    const idle = await idleConnections(base, 10);
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
        assert.equal(answer.get("interval"), 1800);
      }
      const closed = await Promise.all(idle.map((connection) => closedWithin(connection, 2000)));
      assert.ok(closed.filter((reply) => reply === "").length >= 7, "the oldest idle ones went");
      assert.equal(logLines.filter((line) => /--max-connections/.test(line)).length, 1);
    } finally {
      closeAll(idle);
    }
  });
});

const descriptorCases: [string, string[], RegExp][] = [
  [
    "its own cap (the limit less 64) keeps it below the limit",
    [],
    /192 connections open, the most --max-connections allows/,
  ],
  [
    "a cap above the limit meets EMFILE, and it backs off instead of exiting",
    ["--max-connections", "1000"],
    /cannot accept connections \(Too many open files.*\): closing idle ones and retrying/,
  ],
];

for (const [how, extra, logged] of descriptorCases) {
  Deno.test({
    name:
      `with 256 descriptors, 400 idle connections leave p2p tracker alive and answering: ${how}`,
    ignore: !needsTools("prlimit"),
    fn: async () => {
      await withTempDir(async (dir) => {
        const child = new Deno.Command("prlimit", {
          args: [
            "--nofile=256:256",
            Deno.execPath(),
            "run",
            "--allow-all",
            MAIN,
            "tracker",
            "-p",
            "0",
            "-d",
            join(dir, "data"),
            ...extra,
          ],
          stdout: "piped",
          stderr: "piped",
          env: { P2P_DEBUG: "1" }, // a stack trace, should it fail
        }).spawn();
        const stderr = new Response(child.stderr).text();
        const exited = child.status.then((status) => status);
        let idle: Deno.TcpConn[] = [];
        try {
          const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let stdout = "";
          const deadline = AbortSignal.timeout(15_000);
          while (!/\n/.test(stdout) && !deadline.aborted) {
            const { value, done } = await reader.read();
            if (done) break;
            stdout += value;
          }
          reader.releaseLock();
          const base = /^listening on (\S+)\/announce$/m.exec(stdout)?.[1];
          assert.ok(base, `no listening line: ${stdout}`);

          idle = await idleConnections(base, 400);
          const answer = await getBencoded(`${base}/announce?${announceQuery({})}`);
          assert.equal(answer.get("interval"), 1800);
          const running = await Promise.race([
            exited.then(() => false),
            new Promise((resolve) => setTimeout(() => resolve(true), 500)),
          ]);
          assert.ok(running, "the tracker is still running");
        } finally {
          closeAll(idle);
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
          const status = await exited;
          await child.stdout.cancel().catch(() => {});
          const log = await stderr;
          assert.equal(
            status.code,
            0,
            `exit ${status.code} ${status.signal ?? ""}; stderr:\n${log}`,
          );
          assert.match(log, logged);
          assert.doesNotMatch(log, /internal error|unexpected error/);
        }
      });
    },
  });
}
