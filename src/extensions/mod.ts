/**
 * BEP 10 extensions, each a module beside the session engine that plugs
 * into its extension registry: ut_metadata (BEP 9) serves a torrent's info
 * dictionary and fetches it for a torrent started from a magnet link;
 * ut_pex (BEP 11) trades the addresses of connected peers.
 *
 * @module
 */
import type { ExtensionFactory } from "../session/mod.ts";
import { utMetadata } from "./ut_metadata.ts";
import { utPex } from "./ut_pex.ts";

export {
  MAX_METADATA_SIZE,
  METADATA_REQUEST_TIMEOUT_MS,
  METADATA_REQUESTS_PER_PEER,
  MetadataFetch,
} from "./metadata_fetch.ts";
export { UT_METADATA, utMetadata } from "./ut_metadata.ts";
export { MAX_PEX_PEERS, PEX_INTERVAL_MS, UT_PEX, utPex } from "./ut_pex.ts";

/** The extensions every torrent speaks unless told otherwise. */
export const DEFAULT_EXTENSIONS: readonly ExtensionFactory[] = [utMetadata, utPex];
