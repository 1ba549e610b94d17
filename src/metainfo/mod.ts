/**
 * BitTorrent metainfo (.torrent files): strict parsing and validation,
 * creation, the automatic piece length, and magnet links. Pure: no files,
 * no sockets.
 *
 * @module
 */
export { createMetainfo, metainfoAround, type NewTorrent, type NewTorrentFile } from "./create.ts";
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
export {
  formatMagnet,
  type MagnetFields,
  type MagnetLink,
  magnetOf,
  type MagnetPeer,
  MAX_MAGNET_LENGTH,
  MAX_MAGNET_PEERS,
  MAX_MAGNET_TRACKERS,
  MAX_MAGNET_WEB_SEEDS,
  MAX_SELECTED_FILES,
  parseMagnet,
} from "./magnet.ts";
export { parseInfo, parseMetainfo } from "./parse.ts";
export { checkSelectOnly, parseFileSelection, selectionMask, wantedPieces } from "./selection.ts";
export {
  AUTO_MAX_PIECE_LENGTH,
  AUTO_MIN_PIECE_LENGTH,
  choosePieceLength,
  parsePieceLength,
} from "./piece_length.ts";
export type { Metainfo, TorrentFile, TorrentInfo } from "./types.ts";
