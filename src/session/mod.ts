/**
 * The session engine of one torrent, shared by every command: the peer
 * records and their connections, the download scheduler and its piece
 * picker (rarest first, from the pieces' availability), the upload side, the choker, the piece writer, the BEP 10
 * extension registry, the Fast extension (BEP 6), and the clock they all
 * keep time by.
 *
 * @module
 */
export { Choker, chooseUnchoked, DEFAULT_UPLOAD_SLOTS, pickOptimistic } from "./choker.ts";
export { type Clock, sleep, systemClock, type Timer } from "./clock.ts";
export { PieceAvailability } from "./availability.ts";
export {
  DownloadScheduler,
  MIN_PIPELINE_DEPTH,
  PIPELINE_SECONDS,
  STALL_TIMEOUT_MS,
} from "./download_scheduler.ts";
export {
  type Extension,
  type ExtensionFactory,
  type ExtensionHost,
  ExtensionRegistry,
} from "./extensions.ts";
export {
  ALLOWED_FAST_COUNT,
  MAX_ALLOWED_FAST_KEPT,
  MAX_UNASKED_REJECTS,
  MIN_PIECES_FOR_ALLOWED_FAST,
} from "./fast.ts";
export { isLoopback, Peer, peerIdentity } from "./peer.ts";
export type { PeerPlugin } from "./peer_plugin.ts";
export { PeerConnection } from "./peer_connection.ts";
export {
  type BlockRequest,
  type Contributor,
  DEFAULT_PIPELINE_DEPTH,
  PiecePicker,
  type PieceSet,
  RAREST_TIES,
  RAREST_WINDOW,
  type RejectOutcome,
  type RequestPlan,
} from "./picker.ts";
export { MAX_UNWRITTEN_BYTES, PieceWriter } from "./piece_writer.ts";
export { RateLimiter } from "./rate_limiter.ts";
export { RateMeter } from "./rate_meter.ts";
export { DEFAULT_MAX_STRIKES, Reputation } from "./reputation.ts";
export {
  DEFAULT_MAX_PEERS,
  type Handshaken,
  MAX_CONNECTING,
  type SessionOptions,
  type SessionStats,
  TorrentSession,
} from "./session.ts";
export {
  MAX_QUEUED_REQUESTS,
  MAX_QUEUED_WITH_REJECTS,
  MAX_REFUSED_REQUESTS,
  UploadSide,
} from "./upload_side.ts";
