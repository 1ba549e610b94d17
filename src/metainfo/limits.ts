/** Smallest piece length read: old torrents use odd sizes, but not below 1 KiB. */
export const MIN_PIECE_LENGTH = 1024;
/** Largest piece length read: 256 MiB, sixteen times what any current client writes. */
export const MAX_PIECE_LENGTH = 256 * 1024 * 1024;
/** Largest total size of a torrent: 1 PiB; larger sizes are hostile or corrupt. */
export const MAX_TOTAL_LENGTH = 2 ** 50;
/** Deepest file path accepted (components below the torrent's name). */
export const MAX_PATH_DEPTH = 64;
/** Length of one SHA-1 piece hash. */
export const HASH_LENGTH = 20;
