// The playground page: controls, the live connection, and the state in the URL.
import { PALETTE, drawBoundary, drawCurves, drawDiagram, drawPoints, drawUnits, toData, toPixel } from "./draw.js";
import { showDerivation } from "./maths.js";

const $ = (id) => document.getElementById(id);
const KEYS = ["dataset", "classes", "noise", "samples", "test", "seed", "hidden", "activation",
  "optimizer", "lr", "momentum", "batch", "l2", "smoothing"];
const MAX_UPLOAD = 512 * 1024;

const pg = {
  sid: null, defaults: null, settings: null, data: null, frame: null, grid: null,
  curves: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] },
  playing: false, selected: null, frames: 0, frameTimes: [], palette: PALETTE, explain: null,
};
window.playground = pg;
pg.toPixel = (x, y) => toPixel(pg.data.bounds, $("boundary"), x, y);

const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
const send = (msg) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(msg));

// -- settings <-> controls <-> URL ------------------------------------------------------

function fromUrl(defaults) {
  const q = new URLSearchParams(location.search);
  const s = structuredClone(defaults);
  for (const k of KEYS) {
    if (!q.has(k)) continue;
    const v = q.get(k);
    if (k === "hidden") s.hidden = v === "" ? [] : v.split(",").map(Number);
    else if (typeof defaults[k] === "number") s[k] = Number(v);
    else s[k] = v;
  }
  return { settings: s, given: KEYS.some((k) => q.has(k)) };
}

function toUrl(s) {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    const v = k === "hidden" ? s.hidden.join(",") : String(s[k]);
    const d = k === "hidden" ? pg.defaults.hidden.join(",") : String(pg.defaults[k]);
    if (v !== d) q.set(k, v);
  }
  const text = q.toString();
  history.replaceState(null, "", text ? `?${text}` : location.pathname);
}

function fill(s) {
  for (const k of KEYS) if (k !== "hidden") $(k).value = s[k];
  $("noise-out").textContent = s.noise; $("test-out").textContent = `${Math.round(s.test * 100)}%`;
  $("classes-row").hidden = !["blobs", "linear"].includes(s.dataset);
  $("momentum-row").hidden = s.optimizer !== "sgd";
  const box = $("layers");
  box.replaceChildren(...s.hidden.map((w, i) => {
    const row = document.createElement("div");
    row.className = "layer";
    row.innerHTML = `<span>hidden ${i + 1}</span><input type="number" min="1" max="32" value="${w}"> <button title="remove">−</button>`;
    row.querySelector("input").addEventListener("change", (e) => { s.hidden[i] = Number(e.target.value); configure(); });
    row.querySelector("button").addEventListener("click", () => { s.hidden.splice(i, 1); configure(); });
    return row;
  }));
  $("add-layer").disabled = s.hidden.length >= 6;
}

function readControls() {
  const s = pg.settings;
  for (const k of KEYS) {
    if (k === "hidden") continue;
    s[k] = typeof pg.defaults[k] === "number" ? Number($(k).value) : $(k).value;
  }
}

function configure() {
  fill(pg.settings);
  toUrl(pg.settings);
  send({ type: "config", settings: pg.settings });
}

for (const k of KEYS) {
  if (k === "hidden") continue;
  $(k).addEventListener("change", () => { readControls(); configure(); });
}
$("noise").addEventListener("input", () => { $("noise-out").textContent = $("noise").value; });
$("test").addEventListener("input", () => { $("test-out").textContent = `${Math.round($("test").value * 100)}%`; });
$("add-layer").addEventListener("click", () => { pg.settings.hidden.push(4); configure(); });

// -- buttons, clicks, upload --------------------------------------------------------

function setPlaying(on) {
  pg.playing = on;
  $("play").textContent = on ? "❚❚ Pause" : "▶ Play";
  $("status").textContent = on ? "training…" : "paused";
}
$("play").addEventListener("click", () => { setPlaying(!pg.playing); send({ type: pg.playing ? "play" : "pause" }); });
$("step").addEventListener("click", () => { setPlaying(false); send({ type: "step" }); });
$("reset").addEventListener("click", () => send({ type: "reset" }));
$("units-toggle").addEventListener("change", (e) => send({ type: "units", on: e.target.checked }));
$("show-snippet").addEventListener("click", async () => {
  const r = await fetch(`/api/${pg.sid}/snippet.py`);
  $("snippet").textContent = await r.text();
  $("snippet").hidden = false;
});

$("points").addEventListener("click", (e) => {
  if (!pg.data) return;
  const cv = $("points"); // offsetX/Y: from the padding edge, inside the border
  const px = e.offsetX * cv.width / cv.clientWidth, py = e.offsetY * cv.height / cv.clientHeight;
  const [x, y] = toData(pg.data.bounds, cv, px, py);
  const mode = $("click-mode").value;
  if (mode === "inspect") {
    let best = -1, bestD = Infinity;
    pg.data.X.forEach((p, i) => {
      const [qx, qy] = pg.toPixel(p[0], p[1]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    });
    pg.selected = best;
    drawPoints(cv, pg.data, best);
    send({ type: "explain", index: best });
  } else {
    send({ type: "add_point", x, y, label: Number(mode) });
  }
});

$("upload").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  const box = $("upload-error");
  box.hidden = true;
  if (!file) return;
  if (file.size > MAX_UPLOAD) {
    box.textContent = `${file.name}: the file is ${Math.round(file.size / 1024)} KiB; the limit is ${MAX_UPLOAD / 1024} KiB.`;
    box.hidden = false;
    return;
  }
  pg.uploadName = file.name;
  send({ type: "upload", text: await file.text() });
  e.target.value = "";
});

// -- messages -------------------------------------------------------------------------

function onData(m) {
  pg.data = m;
  pg.selected = null;
  $("maths").hidden = true;
  pg.settings = m.settings;
  fill(pg.settings);
  const k = m.classes.length;
  const mode = $("click-mode"), keep = mode.value;
  mode.replaceChildren(new Option("see the maths for a point", "inspect"),
    ...m.classes.map((c, i) => new Option(`add a point of class ${c}`, String(i))));
  if (k < 10) mode.append(new Option("add a point of a new class", String(k)));
  mode.value = [...mode.options].some((o) => o.value === keep) ? keep : "inspect";
  $("legend").replaceChildren(...m.classes.map((c, i) => {
    const s = document.createElement("span");
    s.innerHTML = `<i style="background: rgb(${PALETTE[i % PALETTE.length]})"></i>class ${c}`;
    return s;
  }));
  const where = { generated: m.settings.dataset, uploaded: `uploaded ${pg.uploadName || "CSV"}`, edited: "edited" }[m.source];
  $("data-info").textContent = `${m.X.length} points (${m.train.length} train, ${m.test.length} test), ${k} classes — ${where}`;
  if (m.source !== "generated") $("upload-error").hidden = true;
  drawPoints($("points"), m, null);
}

function onFrame(f) {
  const t0 = performance.now();
  pg.frame = f;
  pg.grid = Uint8Array.from(atob(f.grid), (ch) => ch.charCodeAt(0));
  for (const k of Object.keys(pg.curves)) {
    pg.curves[k] = f.since === 0 ? f.curves[k] : pg.curves[k].slice(0, f.since).concat(f.curves[k]);
  }
  drawBoundary($("boundary"), pg.grid, f.grid_n, f.n_classes);
  drawCurves($("curves"), $("accuracy"), pg.curves);
  drawDiagram($("diagram"), f.weights, f.n_classes);
  drawUnits($("units"), f.units, pg.settings ? pg.settings.hidden : [], 24);
  $("epoch").textContent = f.epoch;
  const last = (a) => (a.length ? a[a.length - 1] : null);
  const fmt = (v, d) => (v == null ? "–" : v.toFixed(d));
  $("train-loss").textContent = fmt(last(pg.curves.loss), 4);
  $("test-loss").textContent = fmt(last(pg.curves.val_loss), 4);
  $("train-acc").textContent = fmt(last(pg.curves.accuracy), 3);
  $("test-acc").textContent = fmt(last(pg.curves.val_accuracy), 3);
  pg.frames += 1;
  pg.frameTimes.push({ at: performance.now(), latency: Date.now() - f.sent_at * 1000, draw: performance.now() - t0 });
  if (pg.frameTimes.length > 500) pg.frameTimes.shift();
  requestAnimationFrame(() => send({ type: "ack" }));
}

function showError(m) {
  if (m.where === "upload") {
    $("upload-error").textContent = m.message;
    $("upload-error").hidden = false;
    return;
  }
  const bar = $("error-bar");
  bar.textContent = m.message;
  bar.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { bar.hidden = true; }, 10000);
  if (m.where === "train") setPlaying(false);
}

ws.addEventListener("message", (ev) => {
  const m = JSON.parse(ev.data);
  if (m.type === "hello") {
    pg.sid = m.sid;
    pg.defaults = m.defaults;
    $("download-model").href = `/api/${m.sid}/model.glassnet`;
    $("download-data").href = `/api/${m.sid}/data.csv`;
    $("download-snippet").href = `/api/${m.sid}/snippet.py`;
    const { settings, given } = fromUrl(m.defaults);
    pg.settings = settings;
    fill(settings);
    if (given) send({ type: "config", settings });
    $("status").textContent = "ready";
  } else if (m.type === "data") onData(m);
  else if (m.type === "frame") onFrame(m);
  else if (m.type === "explain") { pg.explain = m; showDerivation($("maths"), m); }
  else if (m.type === "paused") { setPlaying(false); $("status").textContent = m.message; }
  else if (m.type === "error") showError(m);
});
ws.addEventListener("close", () => {
  setPlaying(false);
  $("status").textContent = "disconnected: reload the page to start again";
});
