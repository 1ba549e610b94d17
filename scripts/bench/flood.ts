// deno-lint-ignore-file no-console -- scripts talk to the person running them
/**
 * `flood` (issue #18): one aria2c downloading from `p2p seed`, first alone,
 * then while four hostile connections that never become interested flood
 * the seed with requests (which a seed must drop while it chokes them):
 * aria2c's time side by side, and the seed's peak memory in each case.
 *
 * @module
 */
import { join } from "node:path";
import { parseMetainfo } from "../../src/metainfo/mod.ts";
import { encodeHandshake, encodeMessage, generatePeerId } from "../../src/wire/mod.ts";
import { aria2cLeech } from "../../tests/real_clients.ts";
import { p2pSeedCommand } from "../p2p_runtime.ts";
import { formatMemory, printTarget } from "./measure.ts";
import { peakRss, prepareSwarm, startUntil, stopAll } from "./peers.ts";

/** Connections flooding the seed at once. */
const FLOODERS = 4;
/** Requests written per burst: 1,000 of 17 bytes. */
const BURST = 1000;

/** Floods `port` with requests for the torrent's pieces from `FLOODERS` connections until `signal`. */
async function flood(port: number, torrentPath: string, signal: AbortSignal): Promise<number> {
  const torrent = parseMetainfo(await Deno.readFile(torrentPath));
  const burst = new Uint8Array(BURST * 17);
  for (let i = 0; i < BURST; i++) {
    const index = i % torrent.pieceCount;
    burst.set(encodeMessage({ type: "request", index, begin: 0, length: 16384 }), i * 17);
  }
  let sent = 0;
  await Promise.all(Array.from({ length: FLOODERS }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    signal.addEventListener("abort", () => conn.close(), { once: true });
    try {
      await conn.write(encodeHandshake(torrent.infoHash, generatePeerId("6.6.6")));
      // Read nothing back: the flood is all this connection does.
      while (!signal.aborted) {
        let written = 0;
        while (written < burst.length) written += await conn.write(burst.subarray(written));
        sent += BURST;
      }
    } catch {
      // closed by the seed, or by us at the end
    }
  }));
  return sent;
}

/** aria2c from a fresh `p2p seed`, with or without the flood; the seed's peak memory. */
async function oneRun(dir: string, seedDir: string, torrent: string, flooded: boolean) {
  const seed = await startUntil(
    p2pSeedCommand(torrent, seedDir),
    /on port (\d+)/,
  );
  const stop = new AbortController();
  const target = join(dir, flooded ? "leech-flooded" : "leech-alone");
  try {
    const flooding = flooded
      ? flood(Number(seed.match[1]), torrent, stop.signal)
      : Promise.resolve(0);
    const [command, ...args] = aria2cLeech(torrent, target);
    const started = performance.now();
    const leech = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    const peak = await peakRss(seed.child.pid, leech);
    const seconds = (performance.now() - started) / 1000;
    const { success } = await leech;
    stop.abort();
    const requests = await flooding;
    return { seconds, peak, success, requests };
  } finally {
    stop.abort();
    await stopAll([seed.child]);
    await Deno.remove(target, { recursive: true }).catch(() => {});
  }
}

/** The `flood` section. */
export async function benchFlood(dir: string, sizeMiB: number): Promise<void> {
  const { seedDir, torrent, tracker } = await prepareSwarm(dir, sizeMiB);
  try {
    const alone = await oneRun(dir, seedDir, torrent, false);
    const flooded = await oneRun(dir, seedDir, torrent, true);
    console.log(
      `\nflood: ${sizeMiB} MiB from p2p seed to aria2c, alone and under a choked-request flood`,
    );
    console.log(
      `  alone:   ${alone.seconds.toFixed(2)} s, seed peak ${formatMemory(alone.peak)}`,
    );
    console.log(
      `  flooded: ${flooded.seconds.toFixed(2)} s, seed peak ${formatMemory(flooded.peak)} ` +
        `(${FLOODERS} connections sent ${
          flooded.requests.toLocaleString("en")
        } requests while choked)`,
    );
    const ratio = flooded.seconds / alone.seconds;
    printTarget(
      "the honest download within 1.5× of its time alone",
      flooded.success && ratio <= 1.5,
      `${ratio.toFixed(2)}×`,
    );
    printTarget(
      "seed memory under 100 MB under the flood",
      flooded.peak < 100e6,
      formatMemory(flooded.peak),
    );
  } finally {
    await stopAll([tracker]);
  }
}
