import type { InfoHash } from "../metainfo/mod.ts";
import { type Clock, systemClock, type Timer } from "../session/mod.ts";
import { type Endpoint, formatEndpoint, unmapIpv4 } from "../transport/mod.ts";
import {
  encodeLsdAnnounce,
  LSD_IPV4,
  LSD_IPV6,
  LsdError,
  MAX_LSD_INFO_HASHES,
  parseLsdAnnounce,
} from "./message.ts";

/** How often each torrent is announced (BEP 14: every 5 minutes). */
export const LSD_ANNOUNCE_INTERVAL_MS = 5 * 60_000;
/** Shortest gap between two announces of ours (BEP 14: at most one a minute, against storms). */
export const LSD_MIN_GAP_MS = 60_000;

/** The multicast sockets as discovery sees them; tests plug in their own. */
export interface LsdSockets {
  /** Sends one announce to each group joined; `host` is filled in per group. */
  send(encode: (host: string) => Uint8Array): void;
  receive(handler: (bytes: Uint8Array, from: Endpoint) => void): void;
  close(): void;
}

/** Opens the sockets, or throws when multicast is not possible here. */
export type LsdOpener = () => Promise<LsdSockets>;

interface Registration {
  readonly infoHash: InfoHash;
  readonly port: number;
  readonly onPeer: (peer: Endpoint) => void;
  /** When it is due to be announced again. */
  due: number;
}

/** How local discovery runs. */
export interface LocalDiscoveryOptions {
  readonly open?: LsdOpener;
  readonly clock?: Clock;
  /** Our cookie (default random): announces carrying it are ours, heard back, and ignored. */
  readonly cookie?: string;
  readonly log?: (line: string) => void;
}

/**
 * Local service discovery (BEP 14) for a process: torrents register, and
 * are announced on the local network's multicast groups every 5 minutes,
 * never more than one announce a minute (round-robin, up to 20 torrents
 * in one); announces heard from others for a registered torrent hand the
 * sender's address to it. The sockets open with the first registration
 * and close with the last, so a process with nothing registered holds none.
 *
 * @example
 * ```ts
 * const discovery = new LocalDiscovery();
 * const leave = discovery.register(infoHash, 6881, (peer) => session.connect([peer]));
 * ```
 */
export class LocalDiscovery {
  readonly #registrations = new Map<string, Registration>();
  readonly #options: LocalDiscoveryOptions;
  readonly #clock: Clock;
  readonly cookie: string;
  #sockets: Promise<LsdSockets | undefined> | undefined;
  #timer: Timer | undefined;
  #lastSent = -Infinity;
  /** Announces sent and heard, for tests and status. */
  readonly counters = { sent: 0, heard: 0, refused: 0 };

  constructor(options: LocalDiscoveryOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.cookie = options.cookie ?? crypto.randomUUID().slice(0, 8);
  }

  /**
   * Announces a torrent on the local network and reports the peers heard
   * announcing it, until the returned function is called.
   */
  register(infoHash: InfoHash, port: number, onPeer: (peer: Endpoint) => void): () => void {
    const registration: Registration = { infoHash, port, onPeer, due: this.#clock.now() };
    this.#registrations.set(infoHash.hex, registration);
    this.#sockets ??= this.#open();
    this.#sockets.then(() => this.#pump());
    return () => {
      if (this.#registrations.get(infoHash.hex) !== registration) return;
      this.#registrations.delete(infoHash.hex);
      if (this.#registrations.size === 0) this.#close();
    };
  }

  async #open(): Promise<LsdSockets | undefined> {
    try {
      const sockets = await (this.#options.open ?? openMulticast)();
      sockets.receive((bytes, from) => this.#receive(bytes, from));
      return sockets;
    } catch (error) {
      this.#options.log?.(
        `local discovery is off: ${error instanceof Error ? error.message : error}`,
      );
      return undefined;
    }
  }

  #close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    const sockets = this.#sockets;
    this.#sockets = undefined;
    sockets?.then((open) => open?.close());
  }

  /** Sends the announce that is due, if the minute since the last one has passed; then waits. */
  async #pump(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const sockets = await this.#sockets;
    if (!sockets || this.#registrations.size === 0) return;
    const now = this.#clock.now();
    const waiting = [...this.#registrations.values()].sort((a, b) => a.due - b.due);
    const next = Math.max(waiting[0].due, this.#lastSent + LSD_MIN_GAP_MS);
    if (next > now) {
      this.#timer = this.#clock.after(next - now, () => this.#pump());
      return;
    }
    // The most overdue torrents, as many as fit, all under one port.
    const port = waiting[0].port;
    const batch = waiting.filter((r) => r.due <= now && r.port === port)
      .slice(0, MAX_LSD_INFO_HASHES);
    sockets.send((host) =>
      encodeLsdAnnounce(host, {
        port,
        infoHashes: batch.map((r) => r.infoHash),
        cookie: this.cookie,
      })
    );
    this.counters.sent++;
    this.#lastSent = now;
    for (const registration of batch) registration.due = now + LSD_ANNOUNCE_INTERVAL_MS;
    this.#timer = this.#clock.after(LSD_MIN_GAP_MS, () => this.#pump());
  }

  #receive(bytes: Uint8Array, from: Endpoint): void {
    let announce;
    try {
      announce = parseLsdAnnounce(bytes);
    } catch (error) {
      if (!(error instanceof LsdError)) throw error;
      this.counters.refused++;
      return;
    }
    if (announce.cookie === this.cookie) return;
    this.counters.heard++;
    const peer = { ip: unmapIpv4(from.ip), port: announce.port };
    for (const infoHash of announce.infoHashes) {
      const registration = this.#registrations.get(infoHash.hex);
      if (!registration) continue;
      this.#options.log?.(
        `local discovery: ${formatEndpoint(peer)} has ${infoHash.hex.slice(0, 8)}`,
      );
      registration.onPeer(peer);
    }
  }
}

/**
 * The real multicast sockets: one on 0.0.0.0:6771 in the IPv4 group and,
 * where IPv6 works, one on [::]:6771 in the IPv6 group, both sharing the
 * port with other clients on the host. Announces go out with a TTL of 1:
 * they never leave the local segment.
 */
export const openMulticast: LsdOpener = async () => {
  const sockets: { conn: Deno.DatagramConn; group: { ip: string; port: number }; host: string }[] =
    [];
  const v4 = Deno.listenDatagram({
    hostname: "0.0.0.0",
    port: LSD_IPV4.port,
    transport: "udp",
    reuseAddress: true,
    loopback: true,
  });
  try {
    const membership = await v4.joinMulticastV4(LSD_IPV4.ip, "0.0.0.0");
    await membership.setTTL(1);
  } catch (error) {
    v4.close();
    throw new LsdError(
      `cannot join ${LSD_IPV4.ip}: ${error instanceof Error ? error.message : error}`,
    );
  }
  sockets.push({ conn: v4, group: LSD_IPV4, host: `${LSD_IPV4.ip}:${LSD_IPV4.port}` });
  try {
    const v6 = Deno.listenDatagram({
      hostname: "::",
      port: LSD_IPV6.port,
      transport: "udp",
      reuseAddress: true,
      loopback: true,
    });
    try {
      const membership = await v6.joinMulticastV6(LSD_IPV6.ip, 0);
      await membership.setLoopback(true);
      sockets.push({ conn: v6, group: LSD_IPV6, host: `[${LSD_IPV6.ip}]:${LSD_IPV6.port}` });
    } catch {
      v6.close();
    }
  } catch {
    // No IPv6 here: IPv4 alone.
  }
  let closed = false;
  let handler: (bytes: Uint8Array, from: Endpoint) => void = () => {};
  for (const { conn } of sockets) {
    (async () => {
      const buffer = new Uint8Array(2048);
      while (!closed) {
        try {
          const [bytes, from] = await conn.receive(buffer);
          const { hostname, port } = from as Deno.NetAddr;
          handler(bytes, { ip: hostname, port });
        } catch {
          if (closed) return;
        }
      }
    })();
  }
  return {
    send(encode) {
      for (const { conn, group, host } of sockets) {
        conn.send(encode(host), { transport: "udp", hostname: group.ip, port: group.port })
          .catch(() => {});
      }
    },
    receive(next) {
      handler = next;
    },
    close() {
      closed = true;
      for (const { conn } of sockets) {
        try {
          conn.close();
        } catch {
          // closed already
        }
      }
    },
  };
};
