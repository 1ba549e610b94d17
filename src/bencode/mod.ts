/**
 * Bencode, the serialisation of torrents and tracker answers (BEP 3).
 * Strict decoding, whole (with byte spans of dictionary values) or item by
 * item; encoding with the npm `bencode` package.
 *
 * @module
 */
export { type BencodeKind, BencodeReader, decode, MAX_NESTING_DEPTH } from "./decode.ts";
export { binaryKeyedDict, type EncodableValue, encode } from "./encode.ts";
export { BencodeError } from "./errors.ts";
export { BencodeDict, type BencodeValue } from "./types.ts";
