import { lookup } from "node:dns/promises";
import { join, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  decodeSavedDht,
  DHT_STATE_FILE,
  DhtError,
  type DhtNodeOptions,
  encodeSavedDht,
  type SavedDht,
} from "../dht/mod.ts";
import { type Endpoint, parseIpv4, parseIpv6 } from "../transport/mod.ts";
import { writeFileAtomically } from "./atomic_write.ts";
import type { CliEnv } from "./env.ts";

/**
 * The environment variable that keeps p2p from discovering peers on its own
 * initiative: set (to anything but the empty string), the DHT is off unless
 * `--dht` or `--dht-bootstrap` turns it on, the public DHT routers are
 * never used, local service discovery is off unless `--lsd`, and the DHT
 * saves nothing outside `--data-dir`. The test suite, the benchmarks and
 * the demo run with it, so that nothing they start reaches outside.
 */
export const NO_DISCOVERY_VARIABLE = "P2P_NO_DISCOVERY";

/**
 * The well-known routers of the public DHT, where a node with nothing
 * saved and no `--dht-bootstrap` joins it (libtorrent's defaults).
 */
export const PUBLIC_DHT_ROUTERS: readonly string[] = [
  "router.bittorrent.com:6881",
  "dht.transmissionbt.com:6881",
  "router.utorrent.com:6881",
];

/** What the discovery options of a command say. */
export interface DiscoveryOptions {
  /** `--dht` (true), `--no-dht` (false), neither (undefined: the default). */
  readonly dht?: boolean;
  readonly dhtBootstrap?: readonly string[];
  readonly lsd?: boolean;
  readonly dataDir?: string;
}

/**
 * A `HOST:PORT` (or `[IPv6]:PORT`) option value, checked.
 *
 * @example
 * ```ts
 * parseHostPort("127.0.0.1:6881"); // { host: "127.0.0.1", port: 6881 }
 * ```
 */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new InvalidArgumentError("must be HOST:PORT, such as 127.0.0.1:6881");
  }
  return { host: match[1] ?? match[2], port };
}

/**
 * Adds the options that choose how peers are discovered besides trackers:
 * the DHT (`--dht`, `--no-dht`, `--dht-bootstrap`, `--data-dir`) and local
 * service discovery (`--lsd`, `--no-lsd`).
 *
 * @example
 * ```ts
 * discoveryOptions(new Command("seed"));
 * ```
 */
export function discoveryOptions(command: Command): Command {
  const collect = (value: string, previous: string[] = []) => {
    parseHostPort(value);
    return [...previous, value];
  };
  return command
    .addOption(
      new Option("--dht", "find peers through the Mainline DHT (the default)"),
    )
    .addOption(new Option("--no-dht", "do not use the DHT"))
    .option(
      "--dht-bootstrap <host:port>",
      "a DHT node to join through (repeatable; default: the saved table, else the public routers)",
      collect,
    )
    .option(
      "--data-dir <dir>",
      "where the DHT's table is kept (default $XDG_DATA_HOME/p2p or ~/.local/share/p2p)",
    )
    .addOption(new Option("--lsd", "find peers on the local network (BEP 14; the default)"))
    .addOption(new Option("--no-lsd", "no local service discovery"));
}

/** Whether the environment asks p2p to discover nothing on its own (see {@link NO_DISCOVERY_VARIABLE}). */
export function noDiscovery(env: CliEnv): boolean {
  // An environment that cannot tell (an in-process test's) counts as asking.
  if (!env.getEnv) return true;
  return (env.getEnv(NO_DISCOVERY_VARIABLE) ?? "") !== "";
}

/** Whether local service discovery is on for these options. */
export function lsdEnabled(env: CliEnv, options: DiscoveryOptions): boolean {
  return options.lsd ?? !noDiscovery(env);
}

/**
 * The data directory: `--data-dir`, else `$XDG_DATA_HOME/p2p`, else
 * `~/.local/share/p2p`; none when nothing says where (or, under
 * {@link NO_DISCOVERY_VARIABLE}, without `--data-dir`).
 */
export function dataDirectory(env: CliEnv, options: DiscoveryOptions): string | undefined {
  if (options.dataDir) return resolve(env.cwd, options.dataDir);
  if (noDiscovery(env)) return undefined;
  const xdg = env.getEnv?.("XDG_DATA_HOME");
  if (xdg) return join(xdg, "p2p");
  const home = env.getEnv?.("HOME");
  return home ? join(home, ".local", "share", "p2p") : undefined;
}

/**
 * The DHT node's options for a command, or undefined when the DHT is off:
 * its saved state, where to save it, and the nodes to bootstrap from
 * (`--dht-bootstrap`; else, with nothing saved, the public routers, unless
 * the environment says {@link NO_DISCOVERY_VARIABLE}).
 *
 * @example
 * ```ts
 * const dht = await dhtSettings(env, options, say);
 * Client.listen({ ...options, dht });
 * ```
 */
export async function dhtSettings(
  env: CliEnv,
  options: DiscoveryOptions,
  say: (line: string) => void,
  log?: (line: string) => void,
  /** Whether a node with nothing to join through joins the public DHT (not a lab's `p2p dht`). */
  publicRouters = true,
): Promise<DhtNodeOptions | undefined> {
  if (!dhtEnabled(env, options)) return undefined;
  const directory = dataDirectory(env, options);
  const path = directory && join(directory, DHT_STATE_FILE);
  const saved = path ? await loadSavedDht(path, say) : undefined;
  return {
    saved,
    save: path ? (state) => saveDht(directory!, path, state) : undefined,
    bootstrap: await resolveAll(bootstrapNames(env, options, saved, publicRouters), say),
    log,
  };
}

/** Whether the DHT is on: `--dht`/`--no-dht`, else on unless the environment says otherwise. */
export function dhtEnabled(env: CliEnv, options: DiscoveryOptions): boolean {
  return options.dht ?? (!noDiscovery(env) || (options.dhtBootstrap ?? []).length > 0);
}

/**
 * The nodes to join through: `--dht-bootstrap`; else none when a saved
 * table is there to start from; else the public routers, unless the
 * environment says {@link NO_DISCOVERY_VARIABLE} or the caller is a lab's root.
 */
export function bootstrapNames(
  env: CliEnv,
  options: DiscoveryOptions,
  saved: SavedDht | undefined,
  publicRouters = true,
): readonly string[] {
  const given = options.dhtBootstrap ?? [];
  if (given.length > 0) return given;
  if (saved && saved.nodes.length > 0) return [];
  return noDiscovery(env) || !publicRouters ? [] : PUBLIC_DHT_ROUTERS;
}

async function loadSavedDht(
  path: string,
  say: (line: string) => void,
): Promise<SavedDht | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      say(`DHT: cannot read ${path}: ${error instanceof Error ? error.message : error}`);
    }
    return undefined;
  }
  try {
    return decodeSavedDht(bytes);
  } catch (error) {
    if (!(error instanceof DhtError)) throw error;
    say(`DHT: ignoring ${path}: ${error.message}`);
    return undefined;
  }
}

async function saveDht(directory: string, path: string, state: SavedDht): Promise<void> {
  await Deno.mkdir(directory, { recursive: true });
  await writeFileAtomically(path, encodeSavedDht(state), { overwrite: true });
}

/** Each `HOST:PORT` as addresses: IP literals as they are, names through the system resolver. */
async function resolveAll(
  names: readonly string[],
  say: (line: string) => void,
): Promise<Endpoint[]> {
  const found = await Promise.all(names.map(async (name) => {
    const { host, port } = parseHostPort(name);
    if (parseIpv4(host) || parseIpv6(host)) return [{ ip: host, port }];
    try {
      const addresses = await lookup(host, { all: true, family: 4 });
      return addresses.map(({ address }) => ({ ip: address, port }));
    } catch (error) {
      say(`DHT: cannot resolve ${host}: ${error instanceof Error ? error.message : error}`);
      return [];
    }
  }));
  return found.flat();
}
