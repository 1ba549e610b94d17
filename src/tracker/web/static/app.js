// The tracker pages' enhancements: live counts, polled from each page's own
// JSON (the same URL with `Accept: application/json`), and the swarm chart
// drawn by uPlot over the server's SVG. Every page is whole without this.

/** How often live counts are asked for again. */
const REFRESH_MS = 5000;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

// The server's formats (format.ts), for the numbers it puts in the page.
const FORMATS = {
  count: (value) => String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ","),
  rate: (value) => value.toFixed(1),
  bytes: (bytes) => {
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    if (unit === 0) return `${bytes} B`;
    return `${value.toFixed(value >= 100 || Number.isInteger(value) ? 0 : 1)} ${UNITS[unit]}`;
  },
  duration: (seconds) => {
    const parts = [
      [Math.floor(seconds / 86400), "d"],
      [Math.floor(seconds / 3600) % 24, "h"],
      [Math.floor(seconds / 60) % 60, "min"],
      [Math.floor(seconds) % 60, "s"],
    ];
    const first = parts.findIndex(([value]) => value > 0);
    if (first < 0) return "0 s";
    return parts.slice(first, first + 2).filter(([value]) => value > 0)
      .map(([value, unit]) => `${value} ${unit}`).join(" ");
  },
};

/** Fills each `data-field` element under `root` from `values` ("a.b" reads values.a.b). */
function fill(root, values) {
  for (const element of root.querySelectorAll("[data-field]")) {
    const value = element.dataset.field.split(".").reduce((at, key) => at?.[key], values);
    const format = FORMATS[element.dataset.format ?? "count"];
    if (typeof value === "number" && format) element.textContent = format(value);
  }
}

/** uPlot's data: times in seconds, then one array per series. */
function columns(history) {
  return [
    history.map((sample) => sample.at / 1000),
    history.map((sample) => sample.seeders),
    history.map((sample) => sample.leechers),
  ];
}

/** Draws the swarm chart with uPlot in place of the server's SVG; undefined without uPlot. */
function drawChart(figure) {
  const uPlot = globalThis.uPlot;
  if (!uPlot) return undefined;
  const svg = figure.querySelector("svg");
  const options = {
    width: svg.getBoundingClientRect().width || 640,
    height: 220,
    scales: { x: { time: true } },
    series: [
      {},
      { label: "seeders", stroke: "#1b7f4d", width: 2 },
      { label: "leechers", stroke: "#c2410c", width: 2 },
    ],
  };
  const plot = new uPlot(options, columns(JSON.parse(figure.dataset.history)), figure);
  svg.remove();
  figure.querySelector("figcaption").hidden = true;
  figure.classList.add("enhanced");
  return plot;
}

async function refresh(chart) {
  if (document.hidden) return;
  const response = await fetch(location.href, { headers: { accept: "application/json" } });
  if (!response.ok) return;
  const data = await response.json();
  if (Array.isArray(data.torrents)) {
    for (const torrent of data.torrents) {
      const row = document.querySelector(`tr[data-hash="${torrent.infoHash}"]`);
      if (row) fill(row, torrent);
    }
  } else {
    fill(document, data);
  }
  if (chart && Array.isArray(data.history)) chart.setData(columns(data.history));
}

const figure = document.querySelector("figure[data-history]");
const chart = figure ? drawChart(figure) : undefined;
if (document.querySelector("[data-live]")) {
  setInterval(() => refresh(chart).catch(() => {}), REFRESH_MS);
}
