/**
 * Figures for people on the tracker's pages, beside the byte counts and
 * counts of `src/format.ts` that the CLI shows too. The page script
 * (`static/app.js`) formats live counts the same way.
 *
 * @module
 */

/**
 * A rate with one decimal.
 *
 * @example
 * ```ts
 * formatRate(12.345); // "12.3"
 * ```
 */
export function formatRate(perSecond: number): string {
  return perSecond.toFixed(1);
}

/**
 * A duration in its two largest units.
 *
 * @example
 * ```ts
 * formatDuration(3725); // "1 h 2 min"
 * ```
 */
export function formatDuration(seconds: number): string {
  const parts: [number, string][] = [
    [Math.floor(seconds / 86400), "d"],
    [Math.floor(seconds / 3600) % 24, "h"],
    [Math.floor(seconds / 60) % 60, "min"],
    [Math.floor(seconds) % 60, "s"],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first < 0) return "0 s";
  return parts.slice(first, first + 2).filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`).join(" ");
}

/**
 * A moment in UTC, to the minute.
 *
 * @example
 * ```ts
 * formatTime(0); // "1970-01-01 00:00 UTC"
 * ```
 */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
