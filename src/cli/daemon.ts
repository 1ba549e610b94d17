import { Command } from "commander";
import { join, resolve } from "node:path";
import { isLoopback, startDaemon, TOKEN_FILE } from "../daemon/mod.ts";
import { refuseNonDirectory, startClient, type SwarmOptions } from "./client_setup.ts";
import { dataDirectory, dhtEnabled } from "./discovery.ts";
import { terminal, verboseLog } from "./terminal.ts";
import type { CliEnv } from "./env.ts";
import { CommandError } from "./errors.ts";
import { peerOptions } from "./options.ts";
import { integerOption } from "./value_parsers.ts";
import { DEFAULT_PEER_PORT } from "./seed.ts";
import { VERSION } from "./version.ts";

/** The web UI's default port: beside Transmission's 9091, so both can run. */
export const DEFAULT_WEB_PORT = 9092;
/** The daemon's folder in the data directory: its token and its list of torrents. */
export const DAEMON_FOLDER = "daemon";

interface DaemonCommandOptions extends SwarmOptions {
  dir: string;
  webPort: number;
  webHost: string;
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * `p2p daemon`: one long-running Client holding many torrents, driven from
 * a web page and a JSON API on loopback.
 *
 * @example
 * ```ts
 * program.addCommand(daemonCommand(env));
 * ```
 */
export function daemonCommand(env: CliEnv): Command {
  return peerOptions(new Command("daemon"), DEFAULT_PEER_PORT)
    .description("run many torrents in the background, with a web UI and a JSON API")
    .option("-d, --dir <dir>", "where torrents download unless told otherwise", ".")
    .option(
      "--web-port <port>",
      "port of the web UI and API (0: any free port)",
      integerOption(0, 65535),
      DEFAULT_WEB_PORT,
    )
    .option(
      "--web-host <address>",
      "address of the web UI (beyond loopback only when you mean it)",
      "127.0.0.1",
    )
    .action((options: DaemonCommandOptions) => daemon(env, options));
}

async function daemon(env: CliEnv, options: DaemonCommandOptions): Promise<void> {
  const say = (line: string) => options.quiet || terminal(env).line(line);
  const log = verboseLog(env, options.verbose, options.quiet);
  const data = dataDirectory(env, options);
  if (!data) {
    throw new CommandError(
      "the daemon keeps its token and torrents in a data directory: give --data-dir",
    );
  }
  const downloadDirectory = resolve(env.cwd, options.dir);
  await refuseNonDirectory(downloadDirectory, options.dir);
  await Deno.mkdir(downloadDirectory, { recursive: true });
  if (!isLoopback(options.webHost)) {
    say(
      `warning: the web UI listens on ${options.webHost}, beyond this machine: ` +
        "anyone who learns the token controls the daemon, over plain HTTP",
    );
  }
  const client = await startClient(env, options, log, say);
  let running;
  try {
    running = await startDaemon({
      env,
      client,
      folder: join(data, DAEMON_FOLDER),
      downloadDirectory,
      webHost: options.webHost,
      webPort: options.webPort,
      version: VERSION,
      dht: dhtEnabled(env, options),
      log: say,
    });
  } catch (error) {
    await client.close();
    throw error;
  }
  env.stdout.write(`web UI: ${running.url}\n`);
  env.stdout.write(`peers on port ${client.port}\n`);
  say(`token in ${join(data, DAEMON_FOLDER, TOKEN_FILE)}; state in ${join(data, DAEMON_FOLDER)}`);
  const stop = env.stopRequested();
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    stop.addEventListener("abort", () => resolve(), { once: true });
  });
  say("stopping: announcing stopped to the trackers");
  await running.close();
}
