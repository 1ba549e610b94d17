import config from "../../deno.json" with { type: "json" };

/** The program's version, from deno.json. */
export const VERSION: string = config.version;

/** What new torrents say in `created by`. */
export const CREATED_BY = `p2p/${VERSION}`;
