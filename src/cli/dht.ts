import { Command } from "commander";
import { DhtNode, idHex, routerTransport } from "../dht/mod.ts";
import { bindUdp, DatagramRouter } from "../transport/mod.ts";
import { dhtSettings, type DiscoveryOptions, discoveryOptions } from "./discovery.ts";
import type { CliEnv } from "./env.ts";
import { integerOption } from "./value_parsers.ts";
import { DEFAULT_PEER_PORT } from "./seed.ts";
import { terminal, verboseLog } from "./terminal.ts";

interface DhtCommandOptions extends DiscoveryOptions {
  port: number;
  host: string;
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * `p2p dht`: a standalone DHT node (BEP 5) that a lab uses as its
 * bootstrap node (`--dht-bootstrap HOST:PORT` on the others). It answers
 * queries and stores announced peers until SIGINT or SIGTERM, and keeps
 * its table in the data directory. It joins through `--dht-bootstrap` and
 * its saved table only, never the public routers: a lab's bootstrap node
 * is where its DHT starts.
 *
 * @example
 * ```ts
 * program.addCommand(dhtCommand(env));
 * ```
 */
export function dhtCommand(env: CliEnv): Command {
  const command = new Command("dht")
    .description("run a standalone DHT node (a bootstrap node for a lab), until interrupted")
    .option(
      "-p, --port <port>",
      "UDP port to listen on (0: any free port)",
      integerOption(0, 65535),
      DEFAULT_PEER_PORT,
    )
    .option("--host <address>", "address to listen on", "0.0.0.0")
    .option("-v, --verbose", "log what the node does")
    .option("-q, --quiet", "no status output")
    .action((options: DhtCommandOptions) => runDht(env, options));
  discoveryOptions(command);
  // Only the DHT's options mean anything here.
  const option = (name: string) => command.options.find((candidate) => candidate.long === name);
  for (const name of ["--dht", "--no-dht", "--lsd", "--no-lsd"]) option(name)?.hideHelp();
  option("--dht-bootstrap")!.description =
    "a DHT node to join through (repeatable; default: the saved table only)";
  return command;
}

async function runDht(env: CliEnv, options: DhtCommandOptions): Promise<void> {
  const quiet = options.quiet === true;
  const say = (line: string) => quiet || terminal(env).line(line);
  const log = verboseLog(env, options.verbose, quiet);
  // The public routers are for clients joining the public DHT, not for a lab's own root.
  const settings = await dhtSettings(env, { ...options, dht: true }, say, log, false);
  const socket = bindUdp(options.host, options.port);
  const node = new DhtNode(routerTransport(new DatagramRouter(socket)), settings);
  const stop = env.stopRequested();
  let stopStatus = () => {};
  try {
    env.stdout.write(`dht node ${idHex(node.id)} on port ${socket.port}\n`);
    node.start().catch(() => {});
    stopStatus = terminal(env).status(() => {
      const { queriesReceived } = node.rpc.counters;
      return `DHT: ${node.table.size} nodes, ${node.store.size} peers of ${node.store.torrents} ` +
        `torrents stored, ${queriesReceived} queries answered`;
    }, quiet);
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      stop.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    stopStatus();
    await node.close();
    socket.close();
    say(`stopped (${stop.reason ?? "error"}): ${node.table.size} nodes saved`);
  }
}
