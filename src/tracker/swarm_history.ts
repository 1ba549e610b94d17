/**
 * Seeders and leechers of published torrents over the last hours, one
 * sample every few minutes, for the chart on each torrent's page. Bounded:
 * a fixed ring of samples per swarm, for at most a fixed number of swarms.
 * Pure: the caller brings the times and the counts.
 *
 * @module
 */

/** Default minutes between samples: a swarm changes slowly next to that. */
export const HISTORY_SAMPLE_MS = 5 * 60_000;
/** Default samples kept: twelve hours at one each five minutes. */
export const HISTORY_SAMPLES = 144;
/**
 * Default most swarms charted: 1,000 swarms of 144 samples of two 32-bit
 * counts are about a megabyte, whatever the catalog holds.
 */
export const MAX_CHARTED_SWARMS = 1000;

/** One sample of a swarm. */
export interface SwarmSample {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly seeders: number;
  readonly leechers: number;
}

/** A charted swarm: its counts in ring order, and the round it joined at. */
interface Charted {
  readonly counts: Uint32Array;
  readonly since: number;
}

/** Samples of many swarms, taken together in rounds. */
export class SwarmHistory {
  readonly #samples: number;
  readonly #maxSwarms: number;
  readonly #times: Float64Array;
  readonly #swarms = new Map<string, Charted>();
  /** Rounds taken so far; round r is in ring slot r % samples. */
  #rounds = 0;

  constructor(options: { samples?: number; maxSwarms?: number } = {}) {
    this.#samples = options.samples ?? HISTORY_SAMPLES;
    this.#maxSwarms = options.maxSwarms ?? MAX_CHARTED_SWARMS;
    this.#times = new Float64Array(this.#samples);
  }

  /**
   * Takes one round at `at` of the swarms `keys`, each counted by
   * `countsOf` (seeders, leechers); a swarm seen for the first time joins
   * while there is room, and swarms beyond it are not even counted. One
   * left out of a round counts zero in it (call `forget` when it is
   * unpublished).
   *
   * @example
   * ```ts
   * history.record(Date.now(), ["aabb..."], (key) => [3, 1]);
   * ```
   */
  record(
    at: number,
    keys: Iterable<string>,
    countsOf: (key: string) => readonly [number, number],
  ): void {
    const slot = this.#rounds % this.#samples;
    this.#times[slot] = at;
    // The slot still holds the round a ring ago: a swarm left out of this one counts zero.
    for (const { counts } of this.#swarms.values()) counts.fill(0, slot * 2, slot * 2 + 2);
    for (const key of keys) {
      let charted = this.#swarms.get(key);
      if (!charted) {
        if (this.#swarms.size >= this.#maxSwarms) continue;
        charted = { counts: new Uint32Array(this.#samples * 2), since: this.#rounds };
        this.#swarms.set(key, charted);
      }
      const [seeders, leechers] = countsOf(key);
      charted.counts[slot * 2] = seeders;
      charted.counts[slot * 2 + 1] = leechers;
    }
    this.#rounds++;
  }

  /**
   * A swarm's samples, oldest first: those since it joined, at most the
   * ring's length; none for a swarm not charted.
   *
   * @example
   * ```ts
   * history.of("aabb...").map((sample) => sample.seeders);
   * ```
   */
  of(key: string): SwarmSample[] {
    const charted = this.#swarms.get(key);
    if (!charted) return [];
    const first = Math.max(charted.since, this.#rounds - this.#samples);
    const samples: SwarmSample[] = [];
    for (let round = first; round < this.#rounds; round++) {
      const slot = round % this.#samples;
      samples.push({
        at: this.#times[slot],
        seeders: charted.counts[slot * 2],
        leechers: charted.counts[slot * 2 + 1],
      });
    }
    return samples;
  }

  /** Stops charting a swarm and frees its samples (another may take its place). */
  forget(key: string): void {
    this.#swarms.delete(key);
  }
}
