/**
 * A bounded BEP 15 load generator (`Deno.listenDatagram`, as the tracker): `sockets` clients, each
 * with one request in flight, connect once and then announce back to back
 * for `seconds`, random valid announces over `swarms` torrents (the UDP twin
 * of announce.lua: info hashes are the swarm's number as 20 ASCII digits,
 * so a whitelist can name them; one in four a seeder). It measures answered
 * announces per second and their latency, send to answer.
 *
 * @module
 */
import { bindUdp, type DatagramSocket } from "../../src/transport/mod.ts";
import {
  decodeConnectResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
} from "../../src/tracker/mod.ts";

/** How a load run goes. */
export interface UdpLoadOptions {
  readonly host: string;
  readonly port: number;
  readonly sockets: number;
  readonly swarms: number;
  readonly seconds: number;
}

/** What a load run measured. */
export interface UdpLoadResult {
  /** Announces answered with an announce answer. */
  readonly answered: number;
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Announces answered with an error (a tracker refusing them). */
  readonly errors: number;
  /** Announces never answered within LOST_MS (a datagram dropped somewhere). */
  readonly lost: number;
}

/** A request unanswered for this long counts as lost, and the client goes on. */
const LOST_MS = 500;
/** Connect attempts a client makes before the run gives up on the tracker. */
const CONNECT_ATTEMPTS = 20;

const ANNOUNCE = 1;

/** One client: a socket, its connection id, and its one announce in flight. */
interface Client {
  readonly socket: DatagramSocket;
  /** The announce datagram, rewritten in place for each request (see `nextAnnounce`). */
  readonly datagram: Uint8Array;
  readonly view: DataView;
  transactionId: number;
  sentAt: number;
}

function randomUint32(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}

/**
 * Binds a socket and gets a connection id, sending the connect again while
 * none comes back (the tracker may still be binding its UDP socket). Every
 * attempt has the same transaction id, so a late answer is as good; any
 * other datagram is ignored (a port the system hands out again may still
 * receive answers to the last run's sockets).
 */
async function openClient(options: UdpLoadOptions): Promise<Client> {
  const socket = bindUdp(options.host.includes(":") ? "::" : "0.0.0.0", 0);
  const tracker = { ip: options.host, port: options.port };
  const transactionId = randomUint32();
  for (let attempt = 1;; attempt++) {
    const answer = new Promise<Uint8Array | null>((resolve) => {
      const timer = setTimeout(() => {
        socket.receive(() => {});
        resolve(null);
      }, LOST_MS);
      socket.receive((datagram) => {
        const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
        if (datagram.length !== 16 || view.getUint32(4) !== transactionId) return;
        socket.receive(() => {});
        clearTimeout(timer);
        resolve(datagram.slice());
      });
    });
    socket.send(encodeConnectRequest(transactionId), tracker);
    const datagram = await answer;
    if (datagram) {
      const connectionId = decodeConnectResponse(datagram, transactionId);
      const template = encodeAnnounceRequest({
        connectionId,
        transactionId,
        infoHash: new Uint8Array(20),
        peerId: new TextEncoder().encode("-UD0001-000000000000"),
        downloaded: 0,
        left: 1000,
        uploaded: 0,
        event: "",
        key: randomUint32(),
        numWant: 50,
        port: 6881,
      });
      return {
        socket,
        datagram: template,
        view: new DataView(template.buffer),
        transactionId,
        sentAt: 0,
      };
    }
    if (attempt === CONNECT_ATTEMPTS) {
      socket.close();
      throw new Error(`no connect answer from ${options.host}:${options.port}`);
    }
  }
}

/**
 * Rewrites the client's announce for a random swarm and peer: the fields
 * are poked in place (transaction id, info hash, peer id, left, port), so
 * that the generator spends its time sending, not encoding.
 */
function nextAnnounce(client: Client, swarms: number): void {
  const { datagram, view } = client;
  client.transactionId = randomUint32();
  view.setUint32(12, client.transactionId);
  const swarm = String(Math.floor(Math.random() * swarms)).padStart(20, "0");
  for (let i = 0; i < 20; i++) datagram[16 + i] = swarm.charCodeAt(i);
  const peer = String(Math.floor(Math.random() * 1e12)).padStart(12, "0");
  for (let i = 0; i < 12; i++) datagram[44 + i] = peer.charCodeAt(i);
  view.setBigUint64(64, Math.random() < 0.25 ? 0n : 1000n);
  view.setUint16(96, 1024 + Math.floor(Math.random() * (65536 - 1024)));
}

/**
 * Runs the load for `options.seconds` and measures it.
 *
 * @example
 * ```ts
 * const result = await udpLoad({ host: "127.0.0.1", port, sockets: 64, swarms: 1000, seconds: 10 });
 * console.log(result.rate, result.p99Ms);
 * ```
 */
export async function udpLoad(options: UdpLoadOptions): Promise<UdpLoadResult> {
  const clients = await Promise.all(
    Array.from({ length: options.sockets }, () => openClient(options)),
  );
  const tracker = { ip: options.host, port: options.port };
  const latencies: number[] = [];
  let errors = 0;
  let lost = 0;
  const deadline = performance.now() + options.seconds * 1000;
  let running = true;
  const send = (client: Client) => {
    nextAnnounce(client, options.swarms);
    client.sentAt = performance.now();
    client.socket.send(client.datagram, tracker);
  };
  for (const client of clients) {
    client.socket.receive((datagram) => {
      const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
      if (datagram.length < 8 || view.getUint32(4) !== client.transactionId) return; // a late one
      if (!running) return;
      const now = performance.now();
      if (view.getUint32(0) === ANNOUNCE) latencies.push(now - client.sentAt);
      else errors++;
      if (now < deadline) send(client);
    });
  }
  const done = new Promise<void>((resolve) => {
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (now >= deadline) {
        running = false;
        clearInterval(watchdog);
        resolve();
        return;
      }
      for (const client of clients) {
        if (now - client.sentAt > LOST_MS) {
          lost++;
          send(client);
        }
      }
    }, 50);
  });
  const started = performance.now();
  for (const client of clients) send(client);
  await done;
  const elapsed = (performance.now() - started) / 1000;
  for (const client of clients) client.socket.close();
  latencies.sort((a, b) => a - b);
  const at = (share: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? NaN;
  return {
    answered: latencies.length,
    rate: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
    lost,
  };
}
