import { MetainfoError, parseInfo, type TorrentInfo } from "../metainfo/mod.ts";
import type { Extension, ExtensionFactory, ExtensionHost, Peer, Timer } from "../session/mod.ts";
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_SIZE,
  type MetadataMessage,
  WireError,
} from "../wire/mod.ts";
import { MAX_METADATA_SIZE, MetadataFetch, MetadataLie } from "./metadata_fetch.ts";

/** The extension's name in the `m` dictionary (BEP 9). */
export const UT_METADATA = "ut_metadata";
/** How often unanswered metadata requests are looked at. */
const TICK_MS = 1_000;
/**
 * Metadata bytes served to one peer, at most, as a multiple of its size: a
 * peer asks for each piece once or twice; one asking over and over is
 * turned down.
 */
const SERVED_PER_PEER = 4;
/** Data messages nobody asked for, from one peer, before it is closed. */
const MAX_UNASKED_DATA = 16;
/** Send-queue bytes above which a metadata request is turned down rather than queued. */
const BUSY_QUEUE_BYTES = 512 * 1024;

/**
 * ut_metadata (BEP 9), both sides. Once the torrent's info dictionary is
 * known it is served, 16 KiB a piece, to any peer that asks (with
 * `metadata_size` in our handshake). Before that, for a torrent started
 * from a magnet link, it is fetched from the peers that offer it
 * ({@link MetadataFetch}), checked against the info hash, validated as a
 * .torrent's would be, and handed to the session. Peers whose metadata is
 * wrong, mis-sized or oversized are forgotten.
 */
class UtMetadata implements Extension {
  readonly name = UT_METADATA;
  readonly #host: ExtensionHost;
  readonly #fetch: MetadataFetch;
  /** Identities of peers that sent wrong metadata: never asked again. */
  readonly #forgotten = new Set<string>();
  readonly #served = new Map<Peer, number>();
  readonly #unasked = new Map<Peer, number>();
  #timer: Timer | undefined;
  #done = false;

  constructor(host: ExtensionHost) {
    this.#host = host;
    this.#fetch = new MetadataFetch(host.infoHash);
    if (!host.info) this.#timer = host.clock.every(TICK_MS, () => this.#askMore());
  }

  handshakeEntries(): Record<string, number> {
    const info = this.#host.info;
    return info ? { metadata_size: info.infoBytes.length } : {};
  }

  onHandshake(peer: Peer): void {
    if (this.#host.info || this.#done || this.#forgotten.has(peer.identity)) return;
    const size = peer.extensions.metadataSize;
    if (size === undefined || !peer.extensions.messages.has(UT_METADATA)) return;
    if (size > MAX_METADATA_SIZE) {
      this.#host.log(
        `${peer.address} offers metadata of ${size} bytes, over the ${MAX_METADATA_SIZE} limit`,
      );
      return;
    }
    this.#fetch.offer(peer, size);
    this.#askMore();
  }

  onMessage(peer: Peer, payload: Uint8Array): void {
    let message: MetadataMessage;
    try {
      message = decodeMetadataMessage(payload);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      peer.close(`protocol violation: ${error.message}`);
      return;
    }
    switch (message.type) {
      case "request":
        this.#serve(peer, message.piece);
        break;
      case "reject":
        this.#fetch.rejected(peer, message.piece, this.#host.clock.now());
        this.#askMore();
        break;
      case "data":
        this.#received(peer, message.piece, message.totalSize, message.data);
        break;
      case "unknown":
        break;
    }
  }

  onClose(peer: Peer): void {
    this.#served.delete(peer);
    this.#unasked.delete(peer);
    this.#fetch.forget(peer);
    this.#askMore();
  }

  onMetadata(): void {
    this.#finish();
  }

  onStop(): void {
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #serve(peer: Peer, piece: number): void {
    const info = this.#host.info;
    const size = info?.infoBytes.length ?? 0;
    const served = this.#served.get(peer) ?? 0;
    const start = piece * METADATA_PIECE_SIZE;
    if (
      !info || start >= size || served > SERVED_PER_PEER * size ||
      peer.connection.queuedBytes > BUSY_QUEUE_BYTES
    ) {
      this.#host.send(peer, UT_METADATA, encodeMetadataMessage({ type: "reject", piece }));
      return;
    }
    const data = info.infoBytes.subarray(start, start + METADATA_PIECE_SIZE);
    this.#served.set(peer, served + data.length);
    this.#host.send(
      peer,
      UT_METADATA,
      encodeMetadataMessage({ type: "data", piece, totalSize: size, data }),
    );
  }

  #received(peer: Peer, piece: number, totalSize: number, data: Uint8Array): void {
    if (this.#done || this.#host.info) return;
    let outcome;
    try {
      outcome = this.#fetch.received(peer, piece, totalSize, data);
    } catch (error) {
      if (!(error instanceof MetadataLie)) throw error;
      this.#forgetLiar(error.peer, error.reason);
      return;
    }
    switch (outcome.kind) {
      case "ignored": {
        const unasked = (this.#unasked.get(peer) ?? 0) + 1;
        this.#unasked.set(peer, unasked);
        if (unasked > MAX_UNASKED_DATA) {
          peer.close(`sent ${unasked} metadata pieces nobody asked for`);
        }
        return;
      }
      case "stored":
        this.#askMore();
        return;
      case "mismatch":
        this.#host.log(
          `metadata assembled from peers does not match the info hash (${this.#fetch.failedChecks} so far)`,
        );
        if (outcome.liar) {
          this.#forgetLiar(outcome.liar, "sent metadata that does not match the info hash");
        }
        this.#askMore();
        return;
      case "complete":
        this.#complete(outcome.bytes);
        return;
    }
  }

  #complete(bytes: Uint8Array): void {
    this.#finish();
    let info: TorrentInfo;
    try {
      info = parseInfo(bytes);
    } catch (error) {
      if (!(error instanceof MetainfoError)) throw error;
      // It matches the info hash: every peer will send the same, and the torrent cannot be had.
      this.#host.fail(new MetainfoError(`the torrent's metadata is invalid: ${error.message}`));
      return;
    }
    this.#host.log(`metadata of ${info.name} (${bytes.length} bytes) fetched from peers`);
    this.#host.metadataFound(info);
  }

  #forgetLiar(peer: Peer, reason: string): void {
    this.#forgotten.add(peer.identity);
    this.#fetch.forget(peer);
    peer.close(reason);
  }

  #askMore(): void {
    if (this.#done || this.#host.info) return;
    for (const { peer, piece } of this.#fetch.plan(this.#host.clock.now())) {
      this.#host.send(peer, UT_METADATA, encodeMetadataMessage({ type: "request", piece }));
    }
  }
}

/**
 * ut_metadata for each session: serves the info dictionary, or fetches it.
 *
 * @example
 * ```ts
 * const client = Client.listen({ clientName: "p2p/0.1.0", extensions: [utMetadata, utPex] });
 * ```
 */
export const utMetadata: ExtensionFactory = (host) => new UtMetadata(host);
