/**
 * The torrent session engine shared by `seed` and `get`: peer connections,
 * the listening port, choking, the piece picker, uploads and downloads.
 *
 * @module
 */
export { SessionAnnouncer } from "./announcer.ts";
export { chooseUnchoked, DEFAULT_UPLOAD_SLOTS, pickOptimistic } from "./choker.ts";
export { connectToPeer, readHandshake, sendHandshake } from "./handshake_io.ts";
export { PeerListener } from "./listener.ts";
export { PeerConnection } from "./peer_connection.ts";
export {
  type BlockRequest,
  DEFAULT_PIPELINE_DEPTH,
  PiecePicker,
  type RequestPlan,
} from "./picker.ts";
export { RateMeter } from "./rate_meter.ts";
export { type SessionOptions, type SessionStats, TorrentSession } from "./session.ts";
