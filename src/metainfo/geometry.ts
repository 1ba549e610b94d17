/** The shape of a torrent's data: what every piece index and offset is checked against. */
export interface TorrentGeometry {
  readonly pieceCount: number;
  readonly pieceLength: number;
  readonly totalLength: number;
}

/**
 * Size of piece `index`: the piece length, except for a shorter last piece.
 *
 * @example
 * ```ts
 * pieceSize({ pieceCount: 3, pieceLength: 40, totalLength: 100 }, 2); // 20
 * ```
 */
export function pieceSize(
  geometry: Pick<TorrentGeometry, "pieceLength" | "totalLength">,
  index: number,
): number {
  return Math.min(geometry.pieceLength, geometry.totalLength - index * geometry.pieceLength);
}
