/**
 * Where a session's verified data lives, as the engine sees it: the files on
 * disk in the program ({@link TorrentStorage}), memory in engine tests.
 */
export interface PieceStore {
  /**
   * Fills `target` with the torrent's bytes from `offset` on.
   *
   * @throws {StorageError} when the data cannot be read.
   */
  read(offset: number, target: Uint8Array): Promise<void>;
  /**
   * Writes a verified piece at its place.
   *
   * @throws {StorageError} (disk full, read-only, ...).
   */
  writePiece(index: number, piece: Uint8Array): Promise<void>;
  /** Flushes written data. */
  sync(): Promise<void>;
  /**
   * The files wanted changed (one flag per file): newly selected files are
   * made ready for their pieces.
   */
  select?(selected: readonly boolean[]): Promise<void>;
  /** Every wanted piece is verified: data kept under working names takes its final names. */
  complete?(): Promise<void>;
  close(): Promise<void>;
}
