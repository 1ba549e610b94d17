/**
 * Figures for people on the tracker's pages. The page script
 * (`static/app.js`) formats live counts the same way.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A byte count in binary units.
 *
 * @example
 * ```ts
 * formatBytes(1536); // "1.5 KiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value.toFixed(value >= 100 || Number.isInteger(value) ? 0 : 1)} ${UNITS[unit]}`;
}

/**
 * A count with thousands separators.
 *
 * @example
 * ```ts
 * formatCount(1234567); // "1,234,567"
 * ```
 */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A count and its noun, singular for one.
 *
 * @example
 * ```ts
 * counted(3, "file"); // "3 files"
 * ```
 */
export function counted(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? "" : "s"}`;
}

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
