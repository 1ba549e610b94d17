import { MAX_PIECE_LENGTH } from "./limits.ts";

/** Smallest piece length chosen automatically: 16 KiB, one block. */
export const AUTO_MIN_PIECE_LENGTH = 16 * 1024;
/** Largest piece length chosen automatically: 16 MiB, what mainstream clients still handle. */
export const AUTO_MAX_PIECE_LENGTH = 16 * 1024 * 1024;
/** Most pieces wanted: about 1,000 to 2,000 keeps the metainfo small and pieces plentiful. */
export const AUTO_TARGET_MAX_PIECES = 2000;

/**
 * Picks a piece length for a torrent of `totalLength` bytes: the smallest
 * power of two from 16 KiB to 16 MiB that keeps the piece count at or below
 * 2,000. Between 32 MiB and 32 GiB of data this gives 1,000 to 2,000 pieces.
 *
 * @example
 * ```ts
 * choosePieceLength(1024 ** 3); // 1 MiB: 1,024 pieces
 * ```
 */
export function choosePieceLength(totalLength: number): number {
  let pieceLength = AUTO_MIN_PIECE_LENGTH;
  while (
    pieceLength < AUTO_MAX_PIECE_LENGTH &&
    Math.ceil(totalLength / pieceLength) > AUTO_TARGET_MAX_PIECES
  ) {
    pieceLength *= 2;
  }
  return pieceLength;
}

const UNIT_FACTORS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2 };

/**
 * Reads a piece length as people write it: `256K`, `1M`, `262144`, or a bare
 * exponent below 32 as mktorrent takes it (`18` is 2^18 = 256 KiB). The result
 * must be a power of two from 16 KiB to 256 MiB.
 *
 * @returns the length in bytes, or an error message for the user.
 * @example
 * ```ts
 * parsePieceLength("1M"); // { ok: true, bytes: 1048576 }
 * ```
 */
export function parsePieceLength(
  text: string,
): { ok: true; bytes: number } | { ok: false; message: string } {
  const match = /^(\d+)\s*([KM]?)(?:i?B)?$/i.exec(text.trim());
  if (!match) {
    return { ok: false, message: `piece length "${text}" is not a size (try 256K, 1M or 18)` };
  }
  const number = Number(match[1]);
  const unit = match[2].toUpperCase();
  const bytes = unit === "" && number < 32 ? 2 ** number : number * UNIT_FACTORS[unit];
  const isPowerOfTwo = Number.isSafeInteger(bytes) && bytes > 0 && (bytes & (bytes - 1)) === 0;
  if (!isPowerOfTwo || bytes < AUTO_MIN_PIECE_LENGTH || bytes > MAX_PIECE_LENGTH) {
    return {
      ok: false,
      message: `piece length "${text}" must be a power of two from 16K to 256M`,
    };
  }
  return { ok: true, bytes };
}
