import { toHex } from "../metainfo/mod.ts";
import { type Endpoint, formatEndpoint } from "../transport/mod.ts";
import { type Bitfield, type Message, type PeerExtensions, supportsFast } from "../wire/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import type { BlockRequest } from "./picker.ts";

let nextPeerNumber = 1;

/**
 * The key a peer's strikes and ban are kept under: its IP address, so that
 * reconnecting from a new port sheds nothing. Every program on this machine
 * shares a loopback address, so there the peer id is part of the key too:
 * one corrupt local client must not ban every other (our tests and the lab
 * demo run whole swarms on 127.0.0.1).
 *
 * @example
 * ```ts
 * peerIdentity({ ip: "10.0.0.7", port: 51413 }, peerId); // "10.0.0.7"
 * ```
 */
export function peerIdentity(endpoint: Endpoint, peerId: Uint8Array): string {
  return isLoopback(endpoint.ip) ? `${endpoint.ip} ${toHex(peerId)}` : endpoint.ip;
}

/**
 * True for this machine's own addresses (127.0.0.0/8, ::1), which every
 * local program shares.
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.5"); // true
 * ```
 */
export function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip.startsWith("::ffff:127.");
}

/**
 * Everything a session knows of one connected peer, on one record: who it
 * is, the four choke and interest flags, what it has, what it said in its
 * extension handshake, what it asked us for, and whether it stalled. The
 * parts of the session read and write peers only through these records.
 */
export class Peer {
  /** A small number naming this peer within the process. */
  readonly id = nextPeerNumber++;
  /** `ip:port` as people read it. */
  readonly address: string;
  /** The stable key of strikes and bans ({@link peerIdentity}). */
  readonly identity: string;
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /**
   * Pieces the peer has. Before the torrent's metadata is known it is the
   * bitfield as received (unchecked: its size is the payload's bits), or
   * undefined; once the metadata arrives it is checked and sized.
   */
  have: Bitfield | undefined;
  /** `have` messages received before the metadata: checked and applied when it arrives. */
  readonly earlyHaves = new Set<number>();
  /** The peer said have-all (BEP 6) before we knew the piece count. */
  hasAll = false;
  /** How many of its pieces we still lack: interest without rescanning bitfields. */
  wanted = 0;
  /** We dialled it (so its address takes connections); false for a peer that connected to us. */
  outgoing = false;
  /** RC4 carries the connection (message stream encryption). */
  encrypted = false;
  /** What carries the connection (`TCP`, `uTP`), as its stream says. */
  via: string | undefined;
  /** Its extension handshake (BEP 10); empty until it sends one. */
  extensions: PeerExtensions = { messages: new Map() };
  /** Requests it is waiting for us to serve, oldest first. */
  readonly uploadQueue: BlockRequest[] = [];
  /** Requests it sent since we last choked it (or since it connected, choked): a few cross the choke. */
  requestsWhileChoked = 0;
  /** True while the upload side works through its queue. */
  serving = false;
  /** Blocks it sent that nobody asked it for: a few cross our cancels, many are an attack. */
  unrequestedBlocks = 0;
  /** It delivered nothing it was asked for in a while: it gets no new work. */
  stalled = false;
  /**
   * Clock time of the last block received, or of asking it for blocks when
   * nothing was in flight: stall detection counts from there.
   */
  lastBlockAt: number;
  /** Clock time of the last block either way (or of connecting): who is idle when room is short. */
  lastDataAt: number;
  /**
   * The Fast extension (BEP 6) is on for this connection: both handshakes
   * announced it (ours always does). Then every request gets a piece or a
   * reject, and the peer said have-all, have-none or its bitfield first.
   */
  readonly fast: boolean;
  /**
   * Our allowed-fast set for it (BEP 6): pieces it may ask of us while we
   * choke it. Empty unless it speaks Fast and the metadata is known.
   */
  allowedFastByUs: ReadonlySet<number> = new Set();
  /** Pieces it lets us ask for while it chokes us (its allowed-fast messages); bounded. */
  readonly allowedFastByPeer = new Set<number>();
  /** Rejects it sent for blocks we never asked of it: a few cross our cancels, many are an attack. */
  unaskedRejects = 0;
  /** Its requests we answered with a reject (a piece we lack, a full queue): honest peers send none. */
  refusedRequests = 0;

  /**
   * @example
   * ```ts
   * const peer = new Peer(connection, stream.remote, handshake.peerId, handshake.reserved, clock.now());
   * ```
   */
  constructor(
    readonly connection: PeerConnection,
    readonly endpoint: Endpoint,
    readonly peerId: Uint8Array,
    /** The reserved bytes of its handshake: which extensions it speaks. */
    readonly reserved: Uint8Array,
    now: number,
  ) {
    this.address = formatEndpoint(endpoint);
    this.identity = peerIdentity(endpoint, peerId);
    this.lastBlockAt = this.lastDataAt = now;
    this.fast = supportsFast(reserved);
  }

  /**
   * Where the peer takes connections: the address we dialled, or for a peer
   * that connected to us its address with the port its extension handshake
   * named (`p`); undefined when it did not say.
   */
  get listenEndpoint(): Endpoint | undefined {
    if (this.outgoing) return this.endpoint;
    const port = this.extensions.listenPort;
    return port ? { ip: this.endpoint.ip, port } : undefined;
  }

  /** True once the connection closed. */
  get closed(): boolean {
    return this.connection.closed;
  }

  /** Queues a message to the peer. */
  send(message: Message): void {
    this.connection.send(message);
  }

  /** Closes the connection; the session hears why. */
  close(reason: string): void {
    this.connection.close(reason);
  }
}
