import { pieceSize, type TorrentGeometry } from "../metainfo/mod.ts";
import { Bitfield } from "./bitfield.ts";
import { WireError } from "./errors.ts";

/** Every client's block size: pieces are requested in 16 KiB blocks. */
export const BLOCK_SIZE = 16 * 1024;
/** Largest request we serve (BEP 3 clients use 16 KiB; some ask up to 128 KiB). */
export const MAX_REQUEST_LENGTH = 128 * 1024;

/** Message ids of BEP 3, and BEP 10's extension message. */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  extended: 20,
} as const;

/** One peer wire message (BEP 3). */
export type Message =
  | { readonly type: "keep-alive" }
  | { readonly type: "choke" }
  | { readonly type: "unchoke" }
  | { readonly type: "interested" }
  | { readonly type: "not-interested" }
  | { readonly type: "have"; readonly index: number }
  | { readonly type: "bitfield"; readonly bitfield: Bitfield }
  | {
    readonly type: "request";
    readonly index: number;
    readonly begin: number;
    readonly length: number;
  }
  | {
    readonly type: "piece";
    readonly index: number;
    readonly begin: number;
    readonly block: Uint8Array;
  }
  | {
    readonly type: "cancel";
    readonly index: number;
    readonly begin: number;
    readonly length: number;
  }
  | { readonly type: "port"; readonly port: number }
  /** A BEP 10 extension message: `extendedId` 0 is the extension handshake. */
  | { readonly type: "extended"; readonly extendedId: number; readonly payload: Uint8Array }
  /** An extension message we did not negotiate: read and ignored. */
  | { readonly type: "unknown"; readonly id: number };

function frame(id: number, payloadLength: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(5 + payloadLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 1 + payloadLength);
  bytes[4] = id;
  return { bytes, view };
}

/**
 * Encodes a message as one buffer (length prefix, id, payload), to be written
 * in one call.
 *
 * @example
 * ```ts
 * socket.write(encodeMessage({ type: "request", index: 0, begin: 0, length: BLOCK_SIZE }));
 * ```
 */
export function encodeMessage(message: Message): Uint8Array {
  switch (message.type) {
    case "keep-alive":
      return new Uint8Array(4);
    case "choke":
      return frame(MessageId.choke, 0).bytes;
    case "unchoke":
      return frame(MessageId.unchoke, 0).bytes;
    case "interested":
      return frame(MessageId.interested, 0).bytes;
    case "not-interested":
      return frame(MessageId.notInterested, 0).bytes;
    case "have": {
      const { bytes, view } = frame(MessageId.have, 4);
      view.setUint32(5, message.index);
      return bytes;
    }
    case "bitfield": {
      const { bytes } = frame(MessageId.bitfield, message.bitfield.bytes.length);
      bytes.set(message.bitfield.bytes, 5);
      return bytes;
    }
    case "request":
    case "cancel": {
      const id = message.type === "request" ? MessageId.request : MessageId.cancel;
      const { bytes, view } = frame(id, 12);
      view.setUint32(5, message.index);
      view.setUint32(9, message.begin);
      view.setUint32(13, message.length);
      return bytes;
    }
    case "piece": {
      const { bytes, view } = frame(MessageId.piece, 8 + message.block.length);
      view.setUint32(5, message.index);
      view.setUint32(9, message.begin);
      bytes.set(message.block, 13);
      return bytes;
    }
    case "port": {
      const { bytes, view } = frame(MessageId.port, 2);
      view.setUint16(5, message.port);
      return bytes;
    }
    case "extended": {
      const { bytes } = frame(MessageId.extended, 1 + message.payload.length);
      bytes[5] = message.extendedId;
      bytes.set(message.payload, 6);
      return bytes;
    }
    case "unknown":
      return frame(message.id, 0).bytes;
  }
}

/**
 * Encodes a piece message into `target` (at least 13 bytes longer than the
 * block), for senders that reuse their frame buffers.
 *
 * @returns the encoded message: a view of the start of `target`.
 * @example
 * ```ts
 * const bytes = encodePieceInto(frame, 3, 16384, block);
 * ```
 */
export function encodePieceInto(
  target: Uint8Array,
  index: number,
  begin: number,
  block: Uint8Array,
): Uint8Array {
  const view = new DataView(target.buffer, target.byteOffset, 13);
  view.setUint32(0, 9 + block.length);
  target[4] = MessageId.piece;
  view.setUint32(5, index);
  view.setUint32(9, begin);
  target.set(block, 13);
  return target.subarray(0, 13 + block.length);
}

/**
 * Turns a byte stream into messages, however it is chunked, and enforces
 * the protocol's limits against the torrent's geometry: a message length
 * cap (a 16 KiB block plus header, or a whole bitfield), exact payload
 * sizes, piece indexes in range, blocks inside their piece, requests of at
 * most 128 KiB, and well-formed bitfields.
 */
export class MessageReader {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  readonly #maxLength: number;

  /**
   * @example
   * ```ts
   * const reader = new MessageReader(torrent);
   * for (const message of reader.push(chunk)) handle(message);
   * ```
   */
  constructor(readonly geometry: TorrentGeometry) {
    const bitfieldLength = Math.ceil(geometry.pieceCount / 8);
    this.#maxLength = Math.max(1 + 8 + BLOCK_SIZE, 1 + bitfieldLength);
  }

  /**
   * Adds received bytes and returns the messages now complete. A piece
   * message's block is a view into the reader's buffer, valid until the next
   * `push`: consumers copy it (into their piece buffer) at once, which saves
   * an allocation per 16 KiB block.
   *
   * @throws {WireError} on the first violation; the connection must be closed.
   */
  push(chunk: Uint8Array): Message[] {
    this.#append(chunk);
    const messages: Message[] = [];
    while (this.#end - this.#start >= 4) {
      const view = new DataView(this.#buffer.buffer, this.#start);
      const length = view.getUint32(0);
      if (length > this.#maxLength) {
        throw new WireError(`message of ${length} bytes exceeds the limit of ${this.#maxLength}`);
      }
      if (this.#end - this.#start < 4 + length) break;
      const payloadStart = this.#start + 5;
      const message = length === 0 ? { type: "keep-alive" as const } : this.#decode(
        this.#buffer[this.#start + 4],
        this.#buffer.subarray(payloadStart, this.#start + 4 + length),
      );
      messages.push(message);
      this.#start += 4 + length;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return messages;
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const pending = this.#end - this.#start;
      const needed = pending + chunk.length;
      if (needed > this.#buffer.length) {
        const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #index(view: DataView, name: string): number {
    const index = view.getUint32(0);
    if (index >= this.geometry.pieceCount) {
      throw new WireError(
        `${name} for piece ${index}, but the torrent has ${this.geometry.pieceCount}`,
      );
    }
    return index;
  }

  #exact(payload: Uint8Array, size: number, name: string): DataView {
    if (payload.length !== size) {
      throw new WireError(`${name} message with a ${payload.length}-byte payload (want ${size})`);
    }
    return new DataView(payload.buffer, payload.byteOffset, payload.length);
  }

  #blockRange(view: DataView, length: number, name: string) {
    const index = this.#index(view, name);
    const begin = view.getUint32(4);
    const size = pieceSize(this.geometry, index);
    if (length === 0 || begin + length > size) {
      throw new WireError(
        `${name} of ${length} bytes at ${begin} outside piece ${index} (${size} bytes)`,
      );
    }
    return { index, begin };
  }

  #decode(id: number, payload: Uint8Array): Message {
    switch (id) {
      case MessageId.choke:
        this.#exact(payload, 0, "choke");
        return { type: "choke" };
      case MessageId.unchoke:
        this.#exact(payload, 0, "unchoke");
        return { type: "unchoke" };
      case MessageId.interested:
        this.#exact(payload, 0, "interested");
        return { type: "interested" };
      case MessageId.notInterested:
        this.#exact(payload, 0, "not interested");
        return { type: "not-interested" };
      case MessageId.have:
        return { type: "have", index: this.#index(this.#exact(payload, 4, "have"), "have") };
      case MessageId.bitfield:
        return {
          type: "bitfield",
          bitfield: Bitfield.fromPayload(payload, this.geometry.pieceCount),
        };
      case MessageId.request:
      case MessageId.cancel: {
        const name = id === MessageId.request ? "request" : "cancel";
        const view = this.#exact(payload, 12, name);
        const length = view.getUint32(8);
        if (length > MAX_REQUEST_LENGTH) {
          throw new WireError(`${name} of ${length} bytes (at most ${MAX_REQUEST_LENGTH})`);
        }
        const { index, begin } = this.#blockRange(view, length, name);
        return { type: name, index, begin, length };
      }
      case MessageId.piece: {
        if (payload.length < 8) throw new WireError("piece message without its header");
        const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
        if (payload.length - 8 > BLOCK_SIZE) {
          throw new WireError(
            `piece block of ${payload.length - 8} bytes (we ask for ${BLOCK_SIZE})`,
          );
        }
        const { index, begin } = this.#blockRange(view, payload.length - 8, "piece");
        return { type: "piece", index, begin, block: payload.subarray(8) };
      }
      case MessageId.port:
        return { type: "port", port: this.#exact(payload, 2, "port").getUint16(0) };
      case MessageId.extended:
        if (payload.length < 1) throw new WireError("extension message without its id");
        return { type: "extended", extendedId: payload[0], payload: payload.slice(1) };
      default:
        return { type: "unknown", id };
    }
  }
}
