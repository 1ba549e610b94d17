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
