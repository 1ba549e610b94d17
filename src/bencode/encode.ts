import bencode from "bencode";
/**
 * A value to encode: plain objects with text keys (sorted on output),
 * arrays, byte strings, text (encoded as UTF-8) and integers.
 */
export type EncodableValue =
  | number
  | string
  | Uint8Array
  | EncodableValue[]
  | { [key: string]: EncodableValue | undefined }
  | Map<Uint8Array, EncodableValue>;

/**
 * Encodes a value as bencode with the npm `bencode` package. Keys of plain
 * objects are sorted; `undefined` members are left out.
 *
 * @example
 * ```ts
 * encode({ b: 1, a: "x" }); // bytes of "d1:a1:x1:bi1ee"
 * ```
 */
export function encode(value: EncodableValue): Uint8Array {
  return bencode.encode(value);
}

/** Bytes whose string form is their hex, so the npm encoder's default key sort is byte order. */
class ByteOrderedKey extends Uint8Array {
  override toString(): string {
    let hex = "";
    for (const byte of this) hex += byte.toString(16).padStart(2, "0");
    return hex;
  }
}

/**
 * A dictionary with binary keys (a scrape's `files`, keyed by info hash),
 * encoded with its keys as raw bytes in byte order as BEP 3 asks.
 *
 * @example
 * ```ts
 * encode({ files: binaryKeyedDict([[infoHash, { complete: 1 }]]) });
 * ```
 */
export function binaryKeyedDict(
  entries: Iterable<[Uint8Array, EncodableValue]>,
): Map<Uint8Array, EncodableValue> {
  return new Map([...entries].map(([key, value]) => [new ByteOrderedKey(key), value]));
}
