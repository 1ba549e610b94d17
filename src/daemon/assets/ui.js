// The daemon's live page: the list from the event stream, actions through the same JSON API
// that scripts use. Every name from a torrent or a peer goes into the page as text
// (textContent), never as markup. uPlot (served beside this file) draws the rate chart.
"use strict";
/* global uPlot */

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const MISSING = 0;
const ON_DISK = 1;
let selected;

async function api(method, path, body) {
  const init = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`/api${path}`, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function say(text, isError = false) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = isError ? "error" : "";
}

function bytes(count) {
  if (count === null || count === undefined) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

function duration(seconds) {
  if (seconds === null) return "";
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function button(label, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", (event) => {
    event.stopPropagation();
    action().catch((error) => say(error.message, true));
  });
  return element;
}

function renderList(torrents) {
  const body = document.querySelector("#torrents tbody");
  document.getElementById("empty").hidden = torrents.length > 0;
  const rows = torrents.map((torrent) => {
    const row = document.createElement("tr");
    row.dataset.hash = torrent.infoHash;
    if (torrent.infoHash === selected) row.classList.add("selected");
    cell(row, torrent.name, "name").title = torrent.infoHash;
    cell(row, bytes(torrent.size));
    const progress = cell(row, "");
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(torrent.progress * 100).toFixed(1)}%`;
    bar.append(fill);
    progress.append(bar, `${Math.floor(torrent.progress * 100)}%`);
    const state = cell(row, torrent.state, `state state-${torrent.state.replace(/ /g, "-")}`);
    if (torrent.error) state.textContent = `error: ${torrent.error}`;
    cell(row, `${bytes(torrent.downloadRate)}/s`);
    cell(row, `${bytes(torrent.uploadRate)}/s`);
    cell(row, String(torrent.peers));
    cell(row, `${torrent.seeders} / ${torrent.leechers}`);
    cell(row, duration(torrent.eta));
    const actions = cell(row, "", "actions");
    const path = `/torrents/${torrent.infoHash}`;
    if (torrent.state === "paused" || torrent.state === "error") {
      actions.append(button("Resume", () => api("POST", `${path}/resume`)));
    } else {
      actions.append(button("Pause", () => api("POST", `${path}/pause`)));
    }
    actions.append(
      button("Pieces", () => select(torrent.infoHash)),
      button("Remove", () => remove(torrent, false)),
      button("Remove with data", () => remove(torrent, true)),
    );
    row.addEventListener("click", () => select(torrent.infoHash));
    return row;
  });
  body.replaceChildren(...rows);
}

async function remove(torrent, deleteData) {
  const what = deleteData ? `${torrent.name} and its files` : torrent.name;
  if (!confirm(`Remove ${what}?`)) return;
  await api("DELETE", `/torrents/${torrent.infoHash}?deleteData=${deleteData}`);
  if (selected === torrent.infoHash) {
    selected = undefined;
    document.getElementById("details").hidden = true;
  }
  say(`removed ${what}`);
}

function colourOf(owner) {
  if (owner === MISSING) return "#e6e8eb";
  if (owner === ON_DISK) return "#8a8f98";
  return `hsl(${((owner - 2) * 137.508) % 360}, 65%, 48%)`;
}

async function select(hash) {
  selected = hash;
  for (const row of document.querySelectorAll("#torrents tbody tr")) {
    row.classList.toggle("selected", row.dataset.hash === hash);
  }
  await drawPieces();
}

async function drawPieces() {
  if (!selected) return;
  const hash = selected;
  const [{ torrent }, map] = await Promise.all([
    api("GET", `/torrents/${hash}`),
    api("GET", `/torrents/${hash}/pieces`),
  ]);
  if (selected !== hash) return;
  document.getElementById("details").hidden = false;
  document.getElementById("details-name").textContent = torrent.name;
  document.getElementById("details-summary").textContent = map.pieceCount === 0
    ? "metadata not known yet"
    : `${torrent.verifiedPieces} of ${map.pieceCount} pieces verified; ${map.onDisk} were on disk`;
  const owners = Uint8Array.from(atob(map.owners), (c) => c.charCodeAt(0));
  drawGrid(owners);
  drawLegend(map, owners);
  listFiles(torrent.files);
}

/** One square per piece, as many to a row as fit, coloured by who sent it. */
function drawGrid(owners) {
  const canvas = document.getElementById("piece-map");
  const width = canvas.width;
  const size = Math.max(
    4,
    Math.min(24, Math.floor(Math.sqrt((width * 240) / Math.max(1, owners.length)))),
  );
  const columns = Math.max(1, Math.floor(width / size));
  canvas.height = Math.max(size, Math.ceil(owners.length / columns) * size);
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  owners.forEach((owner, index) => {
    context.fillStyle = colourOf(owner);
    context.fillRect(
      (index % columns) * size,
      Math.floor(index / columns) * size,
      size - 1,
      size - 1,
    );
  });
}

function drawLegend(map, owners) {
  const entries = [
    { owner: ON_DISK, address: "on disk at start", pieces: map.onDisk },
    ...map.peers,
    { owner: MISSING, address: "missing", pieces: owners.filter((o) => o === MISSING).length },
  ];
  document.getElementById("legend").replaceChildren(
    ...entries.filter((entry) => entry.pieces > 0).map((entry) => {
      const item = document.createElement("li");
      item.dataset.owner = String(entry.owner);
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colourOf(entry.owner);
      item.append(swatch, `${entry.address}: ${entry.pieces}`);
      return item;
    }),
  );
}

let shownFiles = "";

/**
 * The files, each with a box that says whether it is downloaded: changing
 * one sends the new choice at once. Drawn again only when the files or the
 * choice change, so a box is not reset under the pointer every second.
 */
function listFiles(files) {
  const shown = JSON.stringify([selected, files]);
  if (shown === shownFiles) return;
  shownFiles = shown;
  const hash = selected;
  const list = document.getElementById("files");
  list.replaceChildren(...files.map((file, index) => {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = file.selected;
    box.dataset.index = String(index);
    box.addEventListener("change", () => chooseFiles(hash, list));
    const text = document.createElement("span");
    text.textContent = `${file.path} (${bytes(file.length)})`;
    label.append(box, text);
    item.append(label);
    return item;
  }));
}

async function chooseFiles(hash, list) {
  const boxes = [...list.querySelectorAll("input[type=checkbox]")];
  const files = boxes.filter((box) => box.checked).map((box) => Number(box.dataset.index));
  try {
    await api("PUT", `/torrents/${hash}/files`, { files });
    say(`downloading ${files.length} of ${boxes.length} files`);
  } catch (error) {
    say(error.message, true);
    shownFiles = "";
  }
  await drawPieces();
}

document.getElementById("add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const file = document.getElementById("add-file").files[0];
  const directory = document.getElementById("add-directory").value.trim();
  const source = document.getElementById("add-source").value.trim();
  const name = document.getElementById("add-name").value.trim();
  let body;
  if (file) {
    body = new FormData();
    body.append("torrent", file);
    body.append("directory", directory);
  } else if (source) body = { source, directory };
  else body = { name, tracker: document.getElementById("add-tracker").value.trim(), directory };
  try {
    const { torrent, existing } = await api("POST", "/torrents", body);
    say(existing ? `${torrent.name} was already here` : `added ${torrent.name}`);
    form.reset();
  } catch (error) {
    say(error.message, true);
  }
});

document.getElementById("publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const path = document.getElementById("publish-path").value.trim();
  const tracker = document.getElementById("publish-tracker").value.trim();
  try {
    const { torrent, published } = await api("POST", "/publish", { path, tracker });
    say(`${published ? "published" : "already published:"} ${torrent.name}, seeding`);
    event.target.reset();
  } catch (error) {
    say(error.message, true);
  }
});

// The last two minutes of the session's rates, one point per event (about a second).
const RATE_POINTS = 120;
const rates = [[], [], []];
let chart;

function chartRates(session) {
  rates[0].push(Date.now() / 1000);
  rates[1].push(session.downloadRate);
  rates[2].push(session.uploadRate);
  if (rates[0].length > RATE_POINTS) { for (const series of rates) series.shift(); }
  if (chart) {
    chart.setData(rates);
    return;
  }
  const box = document.getElementById("rate-chart");
  chart = new uPlot(
    {
      width: Math.max(300, box.clientWidth),
      height: 140,
      series: [
        {},
        {
          label: "down",
          stroke: "#2f7d32",
          width: 2,
          value: (_, v) => v === null ? "" : `${bytes(v)}/s`,
        },
        {
          label: "up",
          stroke: "#1f5fbf",
          width: 2,
          value: (_, v) => v === null ? "" : `${bytes(v)}/s`,
        },
      ],
      // Always the whole window, so a young chart's axis counts seconds, not milliseconds.
      scales: { x: { time: true, range: (_, __, max) => [max - RATE_POINTS, max] } },
      axes: [{}, { size: 70, values: (_, ticks) => ticks.map((v) => `${bytes(v)}/s`) }],
    },
    rates,
    box,
  );
}

const events = new EventSource("/api/events");
events.addEventListener("torrents", (event) => {
  renderList(JSON.parse(event.data).torrents);
  drawPieces().catch(() => {});
});
events.addEventListener("session", (event) => {
  const session = JSON.parse(event.data);
  document.getElementById("session").textContent =
    `p2p/${session.version} · peers on port ${session.peerPort} · ${session.torrents} torrents · ` +
    `down ${bytes(session.downloadRate)}/s · up ${bytes(session.uploadRate)}/s`;
  chartRates(session);
});
