/**
 * BitTorrent metainfo (.torrent files): strict parsing and validation,
 * creation, and the automatic piece length. Pure: no files, no sockets.
 *
 * @module
 */
export { createMetainfo, type NewTorrent, type NewTorrentFile } from "./create.ts";
export { MetainfoError } from "./errors.ts";
export { pieceSize, type TorrentGeometry } from "./geometry.ts";
export { fromHex, toHex } from "./hex.ts";
export {
  HASH_LENGTH,
  MAX_PATH_DEPTH,
  MAX_PIECE_LENGTH,
  MAX_TOTAL_LENGTH,
  MIN_PIECE_LENGTH,
} from "./limits.ts";
export { InfoHash } from "./info_hash.ts";
export { parseInfo, parseMetainfo } from "./parse.ts";
export {
  AUTO_MAX_PIECE_LENGTH,
  AUTO_MIN_PIECE_LENGTH,
  choosePieceLength,
  parsePieceLength,
} from "./piece_length.ts";
export type { Metainfo, TorrentFile, TorrentInfo } from "./types.ts";
