import { MetainfoError } from "./errors.ts";
import { fromHex, toHex } from "./hex.ts";
import { HASH_LENGTH } from "./limits.ts";

/**
 * A torrent's identity: the SHA-1 of its info dictionary. One type for every
 * layer (metainfo, wire handshakes, trackers, the Client's routing), carrying
 * the 20 bytes, the 40 hex digits people and URLs use, and the binary string
 * that keys maps.
 */
export class InfoHash {
  /** 40 lower-case hex digits. */
  readonly hex: string;

  private constructor(readonly bytes: Uint8Array) {
    this.hex = toHex(bytes);
  }

  /**
   * @throws {MetainfoError} unless `bytes` is 20 bytes long.
   * @example
   * ```ts
   * const infoHash = InfoHash.fromBytes(handshake.infoHashBytes);
   * ```
   */
  static fromBytes(bytes: Uint8Array): InfoHash {
    if (bytes.length !== HASH_LENGTH) {
      throw new MetainfoError(`an info hash is ${HASH_LENGTH} bytes, not ${bytes.length}`);
    }
    return new InfoHash(bytes.slice());
  }

  /**
   * @throws {MetainfoError} unless `hex` is 40 hex digits (either case).
   * @example
   * ```ts
   * InfoHash.fromHex("a3a20fc4dd8cf6b285e1d9b530f4da0e99139a5b").hex;
   * ```
   */
  static fromHex(hex: string): InfoHash {
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) {
      throw new MetainfoError(`"${hex}" is not an info hash (40 hex digits)`);
    }
    return new InfoHash(fromHex(hex.toLowerCase()));
  }

  /** True when both name the same torrent. */
  equals(other: InfoHash): boolean {
    return this.hex === other.hex;
  }

  /** The hex form, so an info hash prints as people expect. */
  toString(): string {
    return this.hex;
  }
}
