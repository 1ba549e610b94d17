import { pieceSize, type TorrentGeometry } from "../metainfo/mod.ts";
import { Bitfield } from "./bitfield.ts";
import { WireError } from "./errors.ts";

/** Every client's block size: pieces are requested in 16 KiB blocks. */
export const BLOCK_SIZE = 16 * 1024;
/** Largest request we serve (BEP 3 clients use 16 KiB; some ask up to 128 KiB). */
export const MAX_REQUEST_LENGTH = 128 * 1024;

/** Message ids of BEP 3, BEP 6 (Fast extension), BEP 10 (extended), the DHT port and BEP 52. */
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
  suggest: 13,
  haveAll: 14,
  haveNone: 15,
  reject: 16,
  allowedFast: 17,
  extended: 20,
  hashRequest: 21,
  hashes: 22,
  hashReject: 23,
} as const;

/** A block's place: piece index, offset in the piece, length. */
export interface BlockRange {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/**
 * A BEP 52 hash request, answer or refusal: which layer of which file's
 * merkle tree (`piecesRoot`), from `index`, `length` hashes, with
 * `proofLayers` uncle hashes.
 */
export interface HashRange {
  readonly piecesRoot: Uint8Array;
  readonly baseLayer: number;
  readonly index: number;
  readonly length: number;
  readonly proofLayers: number;
}

/** One peer wire message. */
export type Message =
  | { readonly type: "keep-alive" }
  | { readonly type: "choke" }
  | { readonly type: "unchoke" }
  | { readonly type: "interested" }
  | { readonly type: "not-interested" }
  | { readonly type: "have"; readonly index: number }
  /**
   * Until checked against a torrent's piece count ({@link fitToGeometry}) a
   * received bitfield's size is its payload's bits.
   */
  | { readonly type: "bitfield"; readonly bitfield: Bitfield }
  | ({ readonly type: "request" } & BlockRange)
  | {
    readonly type: "piece";
    readonly index: number;
    readonly begin: number;
    readonly block: Uint8Array;
  }
  | ({ readonly type: "cancel" } & BlockRange)
  | { readonly type: "port"; readonly port: number }
  /** BEP 6: the peer suggests downloading this piece. */
  | { readonly type: "suggest"; readonly index: number }
  /** BEP 6: the peer has every piece (instead of a full bitfield). */
  | { readonly type: "have-all" }
  /** BEP 6: the peer has no piece. */
  | { readonly type: "have-none" }
  /** BEP 6: the peer will not serve this request. */
  | ({ readonly type: "reject" } & BlockRange)
  /** BEP 6: this piece may be requested even while the peer chokes us. */
  | { readonly type: "allowed-fast"; readonly index: number }
  /** A BEP 10 extension message: `extendedId` 0 is the extension handshake. */
  | { readonly type: "extended"; readonly extendedId: number; readonly payload: Uint8Array }
  | ({ readonly type: "hash-request" } & HashRange)
  | ({ readonly type: "hashes"; readonly hashes: Uint8Array } & HashRange)
  | ({ readonly type: "hash-reject" } & HashRange)
  /** A message id no BEP we know defines: read and ignored. */
  | { readonly type: "unknown"; readonly id: number };

/** Longest piece message: id, index, begin and a 16 KiB block (we never ask for more). */
const PIECE_MESSAGE_LIMIT = 1 + 8 + BLOCK_SIZE;
/** Bytes of a BEP 52 hash message's header: root, base layer, index, length, proof layers. */
const HASH_RANGE_LENGTH = 32 + 4 * 4;
/**
 * Longest message the reader takes by default: far above a block (16 KiB
 * plus 9), a BEP 9 metadata piece (16 KiB plus its dictionary), 512 BEP 52
 * hashes (16 KiB plus 49) or the bitfield of the largest torrent we read (a
 * 64 MiB .torrent holds at most 3.4 million piece hashes: 420 KB), and
 * still bounded, so a hostile length cannot make us buffer gigabytes.
 * Once a session knows its torrent it lowers its connections' limit.
 */
export const MAX_MESSAGE_LENGTH = 1024 * 1024;

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
    case "suggest":
    case "allowed-fast": {
      const id = message.type === "suggest" ? MessageId.suggest : MessageId.allowedFast;
      const { bytes, view } = frame(id, 4);
      view.setUint32(5, message.index);
      return bytes;
    }
    case "have-all":
      return frame(MessageId.haveAll, 0).bytes;
    case "have-none":
      return frame(MessageId.haveNone, 0).bytes;
    case "reject": {
      const { bytes, view } = frame(MessageId.reject, 12);
      view.setUint32(5, message.index);
      view.setUint32(9, message.begin);
      view.setUint32(13, message.length);
      return bytes;
    }
    case "hash-request":
    case "hash-reject":
    case "hashes": {
      const id = message.type === "hashes"
        ? MessageId.hashes
        : message.type === "hash-request"
        ? MessageId.hashRequest
        : MessageId.hashReject;
      const extra = message.type === "hashes" ? message.hashes.length : 0;
      const { bytes, view } = frame(id, HASH_RANGE_LENGTH + extra);
      bytes.set(message.piecesRoot, 5);
      view.setUint32(37, message.baseLayer);
      view.setUint32(41, message.index);
      view.setUint32(45, message.length);
      view.setUint32(49, message.proofLayers);
      if (message.type === "hashes") bytes.set(message.hashes, 5 + HASH_RANGE_LENGTH);
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
 * Turns a byte stream into messages, however it is chunked. It knows only a
 * maximum length and each message's own shape (exact payload sizes, requests
 * of at most 128 KiB, blocks of at most 16 KiB, refused from their header on): whether an index or a block
 * fits the torrent is checked by {@link fitToGeometry} once the torrent's
 * geometry is known, so a connection can be read before its metadata is.
 */
export class MessageReader {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /**
   * @example
   * ```ts
   * const reader = new MessageReader();
   * for (const message of reader.push(chunk)) handle(message);
   * ```
   */
  constructor(
    /** Longest message accepted; a longer length prefix is a violation. */
    public maxLength: number = MAX_MESSAGE_LENGTH,
  ) {}

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
      if (length > this.maxLength) {
        throw new WireError(`message of ${length} bytes exceeds the limit of ${this.maxLength}`);
      }
      // A block is refused from its header on: no need to buffer 1 MiB to see it is too big.
      if (
        length > PIECE_MESSAGE_LIMIT && this.#end - this.#start > 4 &&
        this.#buffer[this.#start + 4] === MessageId.piece
      ) {
        throw new WireError(
          `piece message of ${length} bytes exceeds the limit of ${PIECE_MESSAGE_LIMIT}`,
        );
      }
      if (this.#end - this.#start < 4 + length) break;
      const payloadStart = this.#start + 5;
      const message = length === 0 ? { type: "keep-alive" as const } : decodeMessage(
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
}

function exact(payload: Uint8Array, size: number, name: string): DataView {
  if (payload.length !== size) {
    throw new WireError(`${name} message with a ${payload.length}-byte payload (want ${size})`);
  }
  return new DataView(payload.buffer, payload.byteOffset, payload.length);
}

function blockRange(payload: Uint8Array, name: string): BlockRange {
  const view = exact(payload, 12, name);
  const length = view.getUint32(8);
  if (length > MAX_REQUEST_LENGTH) {
    throw new WireError(`${name} of ${length} bytes (at most ${MAX_REQUEST_LENGTH})`);
  }
  if (length === 0) throw new WireError(`${name} of 0 bytes`);
  return { index: view.getUint32(0), begin: view.getUint32(4), length };
}

function hashRange(payload: Uint8Array, name: string, exactLength: boolean): HashRange {
  if (payload.length < HASH_RANGE_LENGTH || (exactLength && payload.length !== HASH_RANGE_LENGTH)) {
    exact(payload, HASH_RANGE_LENGTH, name);
  }
  const view = new DataView(payload.buffer, payload.byteOffset + 32, 16);
  return {
    piecesRoot: payload.slice(0, 32),
    baseLayer: view.getUint32(0),
    index: view.getUint32(4),
    length: view.getUint32(8),
    proofLayers: view.getUint32(12),
  };
}

/** One message from its id and payload, checked for its own shape only. */
function decodeMessage(id: number, payload: Uint8Array): Message {
  switch (id) {
    case MessageId.choke:
      exact(payload, 0, "choke");
      return { type: "choke" };
    case MessageId.unchoke:
      exact(payload, 0, "unchoke");
      return { type: "unchoke" };
    case MessageId.interested:
      exact(payload, 0, "interested");
      return { type: "interested" };
    case MessageId.notInterested:
      exact(payload, 0, "not interested");
      return { type: "not-interested" };
    case MessageId.have:
      return { type: "have", index: exact(payload, 4, "have").getUint32(0) };
    case MessageId.bitfield:
      return { type: "bitfield", bitfield: new Bitfield(payload.length * 8, payload.slice()) };
    case MessageId.request:
      return { type: "request", ...blockRange(payload, "request") };
    case MessageId.cancel:
      return { type: "cancel", ...blockRange(payload, "cancel") };
    case MessageId.piece: {
      if (payload.length < 8) throw new WireError("piece message without its header");
      const view = new DataView(payload.buffer, payload.byteOffset, 8);
      return {
        type: "piece",
        index: view.getUint32(0),
        begin: view.getUint32(4),
        block: payload.subarray(8),
      };
    }
    case MessageId.port:
      return { type: "port", port: exact(payload, 2, "port").getUint16(0) };
    case MessageId.suggest:
      return { type: "suggest", index: exact(payload, 4, "suggest").getUint32(0) };
    case MessageId.haveAll:
      exact(payload, 0, "have all");
      return { type: "have-all" };
    case MessageId.haveNone:
      exact(payload, 0, "have none");
      return { type: "have-none" };
    case MessageId.reject:
      return { type: "reject", ...blockRange(payload, "reject") };
    case MessageId.allowedFast:
      return { type: "allowed-fast", index: exact(payload, 4, "allowed fast").getUint32(0) };
    case MessageId.extended:
      if (payload.length < 1) throw new WireError("extension message without its id");
      return { type: "extended", extendedId: payload[0], payload: payload.slice(1) };
    case MessageId.hashRequest:
      return { type: "hash-request", ...hashRange(payload, "hash request", true) };
    case MessageId.hashReject:
      return { type: "hash-reject", ...hashRange(payload, "hash reject", true) };
    case MessageId.hashes: {
      const range = hashRange(payload, "hashes", false);
      if ((payload.length - HASH_RANGE_LENGTH) % 32 !== 0) {
        throw new WireError(`hashes message with ${payload.length - HASH_RANGE_LENGTH} hash bytes`);
      }
      return { type: "hashes", ...range, hashes: payload.slice(HASH_RANGE_LENGTH) };
    }
    default:
      return { type: "unknown", id };
  }
}

/** Room for an extension message carrying a 16 KiB piece (BEP 9 metadata) and its header. */
const EXTENDED_MESSAGE_ROOM = 2 + BLOCK_SIZE + 1024;

/**
 * The longest message a peer of this torrent has reason to send: a block,
 * the torrent's bitfield, a metadata piece, 512 BEP 52 hashes.
 *
 * @example
 * ```ts
 * connection.limitMessageLength(messageLengthLimit(torrent));
 * ```
 */
export function messageLengthLimit(geometry: TorrentGeometry): number {
  return Math.max(
    1 + 8 + BLOCK_SIZE,
    1 + Math.ceil(geometry.pieceCount / 8),
    EXTENDED_MESSAGE_ROOM,
    1 + HASH_RANGE_LENGTH + 512 * 32,
  );
}

/**
 * Checks a received message against the torrent it is about: piece indexes
 * in range, blocks inside their piece, bitfields of the right length
 * without spare bits. Returns the message, with a bitfield sized to the
 * torrent.
 *
 * @throws {WireError} on a violation; the connection must be closed.
 * @example
 * ```ts
 * const checked = fitToGeometry(message, torrent);
 * ```
 */
export function fitToGeometry(message: Message, geometry: TorrentGeometry): Message {
  switch (message.type) {
    case "have":
    case "suggest":
    case "allowed-fast":
      checkIndex(geometry, message.index, message.type);
      return message;
    case "bitfield":
      return {
        type: "bitfield",
        bitfield: Bitfield.fromPayload(message.bitfield.bytes, geometry.pieceCount),
      };
    case "request":
    case "cancel":
    case "reject":
      checkInPiece(geometry, message.index, message.begin, message.length, message.type);
      return message;
    case "piece":
      if (message.block.length === 0) {
        throw new WireError(`piece of 0 bytes at ${message.begin} in piece ${message.index}`);
      }
      checkInPiece(geometry, message.index, message.begin, message.block.length, "piece");
      return message;
    default:
      return message;
  }
}

function checkIndex(geometry: TorrentGeometry, index: number, name: string): void {
  if (index >= geometry.pieceCount) {
    throw new WireError(`${name} for piece ${index}, but the torrent has ${geometry.pieceCount}`);
  }
}

function checkInPiece(
  geometry: TorrentGeometry,
  index: number,
  begin: number,
  length: number,
  name: string,
): void {
  checkIndex(geometry, index, name);
  const size = pieceSize(geometry, index);
  if (begin + length > size) {
    throw new WireError(
      `${name} of ${length} bytes at ${begin} outside piece ${index} (${size} bytes)`,
    );
  }
}
