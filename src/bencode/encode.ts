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
  | { [key: string]: EncodableValue | undefined };

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
