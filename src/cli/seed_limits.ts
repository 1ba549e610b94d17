import { type Command, InvalidArgumentError } from "commander";
import type { ClientTorrent } from "../client/mod.ts";
import { formatBytes } from "../format.ts";

/** When seeding stops by itself (aria2c's `--seed-ratio` and `--seed-time`). */
export interface SeedLimits {
  /** Stop once uploaded bytes reach this many times the data's size; 0 or none: no limit. */
  readonly seedRatio?: number;
  /** Stop after seeding this many seconds. */
  readonly seedTime?: number;
}

/** How often the limits are looked at: a second's overshoot at most. */
const CHECK_INTERVAL_MS = 250;

/**
 * A commander parser for `--seed-time`: `90s`, `30m`, `2h`, or a bare
 * number of minutes as aria2c takes it.
 *
 * @returns seconds.
 * @example
 * ```ts
 * durationOption("30m"); // 1800
 * ```
 */
export function durationOption(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smh]?)$/i.exec(text.trim());
  if (!match) {
    throw new InvalidArgumentError("must be a duration such as 90s, 30m or 2h (minutes if bare)");
  }
  const unit = { s: 1, m: 60, h: 3600, "": 60 }[match[2].toLowerCase()]!;
  return Number(match[1]) * unit;
}

/** A commander parser for `--seed-ratio`: a number, 0 or more (`1.5`). */
export function ratioOption(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value)) {
    throw new InvalidArgumentError("must be a ratio such as 1.0 or 2.5");
  }
  return value;
}

/**
 * `--seed-ratio R` and `--seed-time DURATION`, for the commands that seed.
 *
 * @example
 * ```ts
 * seedLimitOptions(new Command("seed"));
 * ```
 */
export function seedLimitOptions(command: Command): Command {
  return command
    .option(
      "--seed-ratio <ratio>",
      "stop seeding once uploaded reaches this many times the data (0: no limit)",
      ratioOption,
    )
    .option(
      "--seed-time <duration>",
      "stop seeding after this long (90s, 30m, 2h; minutes if bare)",
      durationOption,
    );
}

/** True when the limits would ever stop seeding. */
export function hasSeedLimit(limits: SeedLimits): boolean {
  return (limits.seedRatio ?? 0) > 0 || limits.seedTime !== undefined;
}

/**
 * Why seeding should stop now, if it should: the ratio of `uploaded` to
 * `size` reached, or the seeding time spent.
 *
 * @example
 * ```ts
 * seedLimitReached({ seedRatio: 1 }, { uploaded: 200, size: 100, seededMs: 0 }); // "seed ratio 2.00 reached..."
 * ```
 */
export function seedLimitReached(
  limits: SeedLimits,
  figures: { readonly uploaded: number; readonly size: number; readonly seededMs: number },
): string | undefined {
  const { seedRatio, seedTime } = limits;
  if (seedRatio && figures.size > 0 && figures.uploaded >= seedRatio * figures.size) {
    return `seed ratio ${(figures.uploaded / figures.size).toFixed(2)} reached (${
      formatBytes(figures.uploaded)
    } uploaded, limit ${seedRatio})`;
  }
  if (seedTime !== undefined && figures.seededMs >= seedTime * 1000) {
    return `seed time ${formatSeconds(seedTime)} reached (${
      formatBytes(figures.uploaded)
    } uploaded)`;
  }
  return undefined;
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * Resolves with the reason once a torrent's seeding limits are reached
 * (never, without limits), counting seeding time from now; `cancel` stops
 * watching.
 */
export function watchSeedLimits(
  torrent: ClientTorrent,
  limits: SeedLimits,
): { reached: Promise<string>; cancel: () => void } {
  const started = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const reached = new Promise<string>((resolve) => {
    if (!hasSeedLimit(limits)) return;
    timer = setInterval(() => {
      const stats = torrent.session.stats();
      const reason = seedLimitReached(limits, {
        uploaded: stats.uploaded,
        size: stats.verifiedBytes,
        seededMs: performance.now() - started,
      });
      if (reason === undefined) return;
      clearInterval(timer);
      resolve(reason);
    }, CHECK_INTERVAL_MS);
  });
  return { reached, cancel: () => clearInterval(timer) };
}
