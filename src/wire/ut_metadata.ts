import { BencodeDict, BencodeReader, encode } from "../bencode/mod.ts";
import { WireError } from "./errors.ts";

/** Bytes of each metadata piece but the last (BEP 9). */
export const METADATA_PIECE_SIZE = 16 * 1024;

/** One ut_metadata message (BEP 9), as its `msg_type` says. */
export type MetadataMessage =
  | { readonly type: "request"; readonly piece: number }
  | {
    readonly type: "data";
    readonly piece: number;
    /** The whole info dictionary's size, as the sender says. */
    readonly totalSize: number;
    readonly data: Uint8Array;
  }
  | { readonly type: "reject"; readonly piece: number }
  /** A `msg_type` this BEP does not define: BEP 9 says to ignore it. */
  | { readonly type: "unknown"; readonly msgType: number };

const MSG_TYPES = { request: 0, data: 1, reject: 2 } as const;
/** Piece numbers above this name no piece of any metadata we would accept. */
const MAX_PIECE = 1 << 20;

/**
 * A ut_metadata message's payload: a bencoded dictionary (`msg_type`,
 * `piece`, and `total_size` for data), followed by the piece's bytes for
 * data.
 *
 * @example
 * ```ts
 * host.send(peer, "ut_metadata", encodeMetadataMessage({ type: "request", piece: 0 }));
 * ```
 */
export function encodeMetadataMessage(message: MetadataMessage): Uint8Array {
  if (message.type === "unknown") throw new Error("cannot encode an unknown msg_type");
  if (message.type !== "data") {
    return encode({ msg_type: MSG_TYPES[message.type], piece: message.piece });
  }
  const header = encode({
    msg_type: MSG_TYPES.data,
    piece: message.piece,
    total_size: message.totalSize,
  });
  const payload = new Uint8Array(header.length + message.data.length);
  payload.set(header);
  payload.set(message.data, header.length);
  return payload;
}

/**
 * Reads a ut_metadata message. Only what BEP 9 defines is accepted: a
 * dictionary with an integer `msg_type` and a `piece` from 0, a positive
 * `total_size` in data messages, and bytes after the dictionary only in
 * data messages.
 *
 * @throws {WireError} on anything else (the sender is broken or hostile).
 * @example
 * ```ts
 * const message = decodeMetadataMessage(payload);
 * if (message.type === "data") assembly.add(message.piece, message.data);
 * ```
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  const reader = new BencodeReader(payload);
  let dictionary;
  try {
    dictionary = reader.value();
  } catch (error) {
    throw new WireError(`ut_metadata message is not bencoded: ${(error as Error).message}`);
  }
  if (!(dictionary instanceof BencodeDict)) {
    throw new WireError("ut_metadata message is not a dictionary");
  }
  const msgType = dictionary.get("msg_type");
  if (typeof msgType !== "number" || !Number.isInteger(msgType) || msgType < 0) {
    throw new WireError("ut_metadata message has no msg_type");
  }
  if (msgType > MSG_TYPES.reject) return { type: "unknown", msgType };
  const piece = dictionary.get("piece");
  if (typeof piece !== "number" || !Number.isInteger(piece) || piece < 0 || piece > MAX_PIECE) {
    throw new WireError("ut_metadata message has no valid piece number");
  }
  const rest = payload.subarray(reader.position);
  if (msgType !== MSG_TYPES.data) {
    if (rest.length > 0) throw new WireError("ut_metadata request or reject carries data");
    return { type: msgType === MSG_TYPES.request ? "request" : "reject", piece };
  }
  const totalSize = dictionary.get("total_size");
  if (typeof totalSize !== "number" || !Number.isInteger(totalSize) || totalSize <= 0) {
    throw new WireError("ut_metadata data has no valid total_size");
  }
  return { type: "data", piece, totalSize, data: rest };
}
