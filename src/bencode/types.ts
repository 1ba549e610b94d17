/**
 * A decoded bencode value. Byte strings stay bytes (`Uint8Array`) because
 * torrents carry binary data (piece hashes, info hashes, peer ids) in them.
 */
export type BencodeValue =
  | number
  | Uint8Array
  | BencodeValue[]
  | BencodeDict;

/**
 * A decoded dictionary. Keys are byte strings decoded as Latin-1 ("binary
 * strings": one character per byte), so binary keys such as the info hashes
 * of a scrape answer survive intact; ASCII keys read as plain text.
 */
export class BencodeDict extends Map<string, BencodeValue> {
  /**
   * Where each value stands in the input, as `[start, end)` byte offsets.
   * The info hash is the SHA-1 of the `info` value's raw bytes, so the span
   * must come from the input, never from a re-encoding.
   */
  readonly spans: Map<string, [number, number]> = new Map();
}
