import { type Command, Option } from "commander";
import { DEFAULT_ENCRYPTION, ENCRYPTION_POLICIES } from "../client/mod.ts";
import { discoveryOptions } from "./discovery.ts";
import { integerOption, rateOption } from "./value_parsers.ts";

/**
 * The options every command that joins a swarm takes (seed, get, publish,
 * fetch): where to listen, our name, an upload limit, how peers are
 * discovered (DHT, local discovery), and how much to say.
 *
 * @example
 * ```ts
 * peerOptions(new Command("seed"), 6881).action(...);
 * ```
 */
export function peerOptions(command: Command, defaultPort: number): Command {
  return discoveryOptions(command)
    .option(
      "-p, --port <port>",
      "port to listen on for peers (0: any free port)",
      integerOption(0, 65535),
      defaultPort,
    )
    .option("--host <address>", "address to listen on", "0.0.0.0")
    .option("--name <name>", "our name in the tracker's log")
    .option("--max-upload-rate <rate>", "upload limit in bytes per second (500K, 2M)", rateOption)
    .addOption(encryptionOption())
    .option("--no-utp", "no uTP (peers over UDP), in or out")
    .option("--no-tcp", "no TCP peer connections, in or out (uTP only)")
    .option("-v, --verbose", "log every peer event")
    .option("-q, --quiet", "no progress or status output");
}

/**
 * `--max-download-rate RATE`, for the commands that download (get, fetch,
 * shell): one limit for every peer and torrent of the process.
 *
 * @example
 * ```ts
 * downloadRateOption(new Command("get"));
 * ```
 */
export function downloadRateOption(command: Command): Command {
  return command.option(
    "--max-download-rate <rate>",
    "download limit in bytes per second (500K, 2M)",
    rateOption,
  );
}

/**
 * `--encryption prefer|require|allow|off`: message stream encryption, as
 * users know the setting from their clients (see `EncryptionPolicy`).
 *
 * @example
 * ```ts
 * new Command("shell").addOption(encryptionOption());
 * ```
 */
export function encryptionOption(): Option {
  return new Option(
    "--encryption <policy>",
    "encrypt connections: prefer (encrypted first, plaintext if the peer lacks it), " +
      "require (encrypted only), allow (plaintext first, encrypted if the peer needs it), " +
      "off (plaintext only)",
  ).choices(ENCRYPTION_POLICIES).default(DEFAULT_ENCRYPTION);
}
