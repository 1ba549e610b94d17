import type { SwarmSample } from "../swarm_history.ts";

const WIDTH = 640;
const HEIGHT = 200;
/** Room for the axis labels: left, right, top, bottom. */
const MARGIN = { left: 36, right: 12, top: 12, bottom: 24 };

/** "04:35": a sample's time of day in UTC, for the time axis. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/**
 * The points of one series in the plot's coordinates: `x` spread over the
 * samples' time span (one sample sits in the middle), `y` from 0 to `top`.
 */
function chartPoints(
  samples: readonly SwarmSample[],
  value: (sample: SwarmSample) => number,
  top: number,
): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const first = samples[0]?.at ?? 0;
  const span = (samples.at(-1)?.at ?? 0) - first;
  return samples.map((sample) => {
    const x = MARGIN.left + (span > 0 ? (sample.at - first) / span : 0.5) * plotWidth;
    const y = MARGIN.top + plotHeight * (1 - value(sample) / top);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/**
 * The swarm's seeders and leechers over time as inline SVG: the chart
 * without script. The page script draws uPlot's over it from the same
 * samples (the figure's `data-history`).
 *
 * @example
 * ```tsx
 * <SwarmChart samples={history} />
 * ```
 */
export function SwarmChart(props: { samples: readonly SwarmSample[] }) {
  const { samples } = props;
  const top = Math.max(1, ...samples.flatMap((sample) => [sample.seeders, sample.leechers]));
  const bottom = HEIGHT - MARGIN.bottom;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Seeders and leechers over the last ${samples.length} samples`}
    >
      <line class="axis" x1={MARGIN.left} y1={bottom} x2={WIDTH - MARGIN.right} y2={bottom} />
      <line class="axis" x1={MARGIN.left} y1={MARGIN.top} x2={MARGIN.left} y2={bottom} />
      <text x={MARGIN.left - 6} y={MARGIN.top + 4} text-anchor="end">{top}</text>
      <text x={MARGIN.left - 6} y={bottom} text-anchor="end">0</text>
      {samples.length > 0 && <text x={MARGIN.left} y={HEIGHT - 6}>{clock(samples[0].at)}</text>}
      {samples.length > 1 && (
        <text x={WIDTH - MARGIN.right} y={HEIGHT - 6} text-anchor="end">
          {`${clock(samples.at(-1)!.at)} UTC`}
        </text>
      )}
      <polyline class="seeders" points={chartPoints(samples, (s) => s.seeders, top)} />
      <polyline class="leechers" points={chartPoints(samples, (s) => s.leechers, top)} />
    </svg>
  );
}
