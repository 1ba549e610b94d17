/**
 * `p2p daemon`: one Client holding many torrents, with a web page and the
 * JSON API it uses: the registry of torrents (start, pause, resume,
 * remove, piece maps), its saved state, the token and CSRF checks, the API
 * routes and the page.
 *
 * @module
 */
export { EVENT_INTERVAL_MS, type SessionInfo } from "./api.ts";
export { CSRF_HEADER, csrfTokenFor, hostAllowed, TOKEN_FILE, tokenCookie } from "./auth.ts";
export { deleteTorrentData } from "./data_files.ts";
export { type DaemonOptions, isLoopback, type RunningDaemon, startDaemon } from "./daemon.ts";
export { DaemonError } from "./errors.ts";
export {
  MAX_NAMED_PEERS,
  MISSING,
  ON_DISK,
  OTHER_PEERS,
  PieceMap,
  type PieceMapJson,
} from "./piece_map.ts";
export { TorrentRegistry, type TorrentSource } from "./registry.ts";
export { type SavedTorrent, STATE_FILE, StateStore } from "./state_store.ts";
export {
  describeTorrent,
  type TorrentSnapshot,
  type TorrentState,
  type TorrentView,
} from "./view.ts";
