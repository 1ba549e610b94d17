/**
 * Data on disk: finding the files of a new torrent, mapping pieces onto
 * files, hashing pieces on every core, and the stamps that let a resume
 * skip hashing files nobody changed.
 *
 * @module
 */
export { describeFileError, StorageError } from "./errors.ts";
export type { HashedFile } from "./hash_protocol.ts";
export { type FileSpan, fileSpans, type PlacedFile } from "./layout.ts";
export {
  hashPieces,
  type HashPiecesInput,
  type HashPiecesOptions,
  verifyPieces,
} from "./piece_hasher.ts";
export type { PieceStore } from "./piece_store.ts";
export {
  PART_SUFFIX,
  type StorageMode,
  torrentFilePaths,
  TorrentStorage,
} from "./torrent_storage.ts";
export { type ScannedSource, type ScanOptions, scanSource, type SourceFile } from "./scan.ts";
export { PartsFile, partsFileName } from "./parts_file.ts";
export {
  dataStamps,
  type FileStamp,
  piecesOf,
  type ResumeData,
  resumeFromJson,
  resumeToJson,
  sameStamps,
} from "./resume.ts";
