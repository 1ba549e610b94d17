import {
  type Extension,
  type ExtensionFactory,
  type ExtensionHost,
  isLoopback,
  type Peer,
  type Timer,
} from "../session/mod.ts";
import { type Endpoint, formatEndpoint, formatIp } from "../transport/mod.ts";
import { decodePex, encodePex, PexFlag, type PexPeer, WireError } from "../wire/mod.ts";

/** The extension's name in the `m` dictionary (BEP 11). */
export const UT_PEX = "ut_pex";
/** BEP 11: a peer exchange message at most once a minute to each peer. */
export const PEX_INTERVAL_MS = 60_000;
/** BEP 11: at most 50 added (and 50 dropped) peers a message. */
export const MAX_PEX_PEERS = 50;
/**
 * A peer's messages closer together than this are ignored (BEP 11 allows
 * one a minute; timers drift a little).
 */
const MIN_RECEIVE_GAP_MS = 45_000;

/**
 * ut_pex (BEP 11), both sides: every minute each peer that speaks it is
 * told which peers we connected to and let go since its last message (at
 * most 50 each), and what peers tell us goes to the session, which
 * connects as its limits allow. Never on a private torrent (BEP 27); a
 * torrent from a magnet link counts as public until its metadata says
 * otherwise. What peers send is bounded: 50 peers a list parsed, one
 * message a minute heard, our own address left out.
 */
class UtPex implements Extension {
  readonly name = UT_PEX;
  readonly #host: ExtensionHost;
  /** What each peer has been told is connected, by address. */
  readonly #told = new Map<Peer, Map<string, Endpoint>>();
  readonly #lastHeard = new Map<Peer, number>();
  /** Our addresses as peers see them (`yourip`): peer exchange may name us. */
  readonly #ourIps = new Set<string>();
  readonly #timer: Timer;

  constructor(host: ExtensionHost) {
    this.#host = host;
    this.#timer = host.clock.every(PEX_INTERVAL_MS, () => this.#tellAll());
  }

  enabled(): boolean {
    return this.#host.info?.private !== true;
  }

  onHandshake(peer: Peer): void {
    const yourIp = peer.extensions.yourIp;
    if (yourIp) this.#ourIps.add(formatIp(yourIp));
    if (peer.extensions.messages.has(UT_PEX) && !this.#told.has(peer)) this.#tell(peer);
  }

  onMessage(peer: Peer, payload: Uint8Array): void {
    const now = this.#host.clock.now();
    const last = this.#lastHeard.get(peer);
    if (last !== undefined && now - last < MIN_RECEIVE_GAP_MS) return;
    this.#lastHeard.set(peer, now);
    let added: readonly PexPeer[];
    try {
      added = decodePex(payload, MAX_PEX_PEERS).added;
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.#host.log(`${peer.address}: ignored peer exchange: ${error.message}`);
      return;
    }
    // A seed has nothing to get from another seed.
    const complete = this.#host.complete;
    const usable = added.filter((peer) =>
      !this.#isUs(peer) && !(complete && (peer.flags & PexFlag.seed) !== 0)
    );
    if (usable.length > 0) this.#host.addPeers(usable);
  }

  onClose(peer: Peer): void {
    this.#told.delete(peer);
    this.#lastHeard.delete(peer);
  }

  onStop(): void {
    this.#timer.cancel();
  }

  #isUs(endpoint: Endpoint): boolean {
    if (endpoint.port !== this.#host.listenPort) return false;
    return isLoopback(endpoint.ip) || this.#ourIps.has(endpoint.ip);
  }

  #tellAll(): void {
    if (!this.enabled()) return;
    for (const peer of this.#host.peers) {
      if (peer.extensions.messages.has(UT_PEX)) this.#tell(peer);
    }
  }

  /** Sends `peer` what changed since we last told it (the first time: who is connected). */
  #tell(peer: Peer): void {
    if (!this.enabled()) return;
    const connected = new Map<string, PexPeer>();
    for (const other of this.#host.peers) {
      const endpoint = other !== peer ? other.listenEndpoint : undefined;
      if (!endpoint) continue;
      const flags = (other.have?.complete ? PexFlag.seed : 0) |
        (other.outgoing ? PexFlag.reachable : 0) |
        (other.via === "uTP" ? PexFlag.utp : 0) |
        (other.encrypted ? PexFlag.encryption : 0);
      connected.set(formatEndpoint(endpoint), { ...endpoint, flags });
    }
    const first = !this.#told.has(peer);
    const told = this.#told.get(peer) ?? new Map<string, Endpoint>();
    this.#told.set(peer, told);
    const added = [...connected].filter(([address]) => !told.has(address))
      .slice(0, MAX_PEX_PEERS);
    const dropped = [...told].filter(([address]) => !connected.has(address))
      .slice(0, MAX_PEX_PEERS);
    if (!first && added.length === 0 && dropped.length === 0) return;
    for (const [address, endpoint] of added) told.set(address, endpoint);
    for (const [address] of dropped) told.delete(address);
    this.#host.send(
      peer,
      UT_PEX,
      encodePex({
        added: added.map(([, pexPeer]) => pexPeer),
        dropped: dropped.map(([, endpoint]) => endpoint),
      }),
    );
  }
}

/**
 * ut_pex for each session.
 *
 * @example
 * ```ts
 * const client = Client.listen({ clientName: "p2p/0.1.0", extensions: [utMetadata, utPex] });
 * ```
 */
export const utPex: ExtensionFactory = (host) => new UtPex(host);
