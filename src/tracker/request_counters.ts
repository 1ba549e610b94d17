/**
 * What the tracker has answered since it started, by protocol, and the
 * announce rate over a recent window: for its stats page and `/metrics`.
 * Pure: the caller brings the clock.
 *
 * @module
 */

/** Seconds of the window the announce rate is measured over. */
export const RATE_WINDOW_SECONDS = 60;
/**
 * Seconds between the counts the rate is measured from: a rate then lags
 * by at most this much, and the window needs only a few samples.
 */
export const RATE_SAMPLE_SECONDS = 10;
const SAMPLES = RATE_WINDOW_SECONDS / RATE_SAMPLE_SECONDS + 1;

/** Announces and scrapes answered over one protocol. */
export interface ProtocolCounts {
  announces: number;
  scrapes: number;
}

/** Announces a second over HTTP and over UDP. */
export interface AnnounceRates {
  readonly http: number;
  readonly udp: number;
}

/**
 * Counters the tracker bumps once per request (plain fields: the announce
 * path pays one increment), and a ring of their past values for the rate.
 */
export class RequestCounters {
  readonly http: ProtocolCounts = { announces: 0, scrapes: 0 };
  readonly udp: ProtocolCounts = { announces: 0, scrapes: 0 };
  /** Past samples: time in ms, HTTP announces, UDP announces, oldest first. */
  readonly #samples: [number, number, number][] = [];

  /**
   * Keeps the counts as they are at `now` (ms) if the last kept ones are
   * RATE_SAMPLE_SECONDS old: call it as often as convenient.
   *
   * @example
   * ```ts
   * setInterval(() => counters.sample(Date.now()), 1000);
   * ```
   */
  sample(now: number): void {
    const last = this.#samples.at(-1);
    if (last && now - last[0] < RATE_SAMPLE_SECONDS * 1000) return;
    this.#samples.push([now, this.http.announces, this.udp.announces]);
    if (this.#samples.length > SAMPLES) this.#samples.shift();
  }

  /**
   * Announces a second since the oldest kept sample (at most
   * RATE_WINDOW_SECONDS ago, plus a sample's lag); zeros before any.
   *
   * @example
   * ```ts
   * counters.announceRates(Date.now()).http; // 120.5
   * ```
   */
  announceRates(now: number): AnnounceRates {
    const oldest = this.#samples[0];
    const seconds = oldest ? (now - oldest[0]) / 1000 : 0;
    if (seconds <= 0) return { http: 0, udp: 0 };
    return {
      http: (this.http.announces - oldest[1]) / seconds,
      udp: (this.udp.announces - oldest[2]) / seconds,
    };
  }
}
