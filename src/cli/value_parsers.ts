/**
 * Commander parsers for option values (whole numbers, byte rates). Apart from
 * options.ts, which loads the client for its encryption choices, so that a
 * command that never joins a swarm (the tracker) need not load the engine.
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

/**
 * A commander option parser for whole numbers in `[min, max]`.
 *
 * @example
 * ```ts
 * command.option("-p, --port <port>", "port", integerOption(0, 65535), 6881);
 * ```
 */
export function integerOption(min: number, max: number): (text: string) => number {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/**
 * A commander option parser for byte rates: `500K`, `2M`, `1048576` (bytes per second).
 *
 * @example
 * ```ts
 * command.option("--max-upload-rate <rate>", "limit", rateOption);
 * ```
 */
export function rateOption(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?(?:\/s)?$/i.exec(text.trim());
  if (!match) {
    throw new InvalidArgumentError("must be a rate such as 500K or 2M (bytes per second)");
  }
  const factor = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2].toUpperCase()]!;
  const value = Math.round(Number(match[1]) * factor);
  if (value < 1024) throw new InvalidArgumentError("must be at least 1K");
  return value;
}
