// Pictures: the boundary heat map, the points, the curves, the network diagram, hidden units.
export const PALETTE = [
  [47, 111, 222], [240, 138, 36], [46, 160, 67], [204, 51, 99], [140, 86, 200],
  [30, 170, 190], [150, 110, 60], [230, 90, 200], [120, 120, 120], [180, 180, 20],
];

// The colour of one grid cell from its class probabilities (bytes 0..255): the classes'
// colours mixed by probability, over white by confidence. tests/playground restates it.
export function cellColour(bytes, k) {
  let pmax = 0;
  const mix = [0, 0, 0];
  for (let c = 0; c < k; c++) {
    const p = bytes[c] / 255;
    if (p > pmax) pmax = p;
    for (let j = 0; j < 3; j++) mix[j] += p * PALETTE[c][j];
  }
  const conf = Math.max(0, (pmax - 1 / k) / (1 - 1 / k));
  const a = 0.25 + 0.6 * conf;
  return mix.map((m) => Math.round(255 * (1 - a) + m * a));
}

const off = document.createElement("canvas");

export function drawBoundary(canvas, grid, n, k) {
  off.width = n; off.height = n;
  const octx = off.getContext("2d");
  const img = octx.createImageData(n, n);
  const cell = new Uint8Array(k);
  const nn = n * n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      for (let q = 0; q < k; q++) cell[q] = grid[q * nn + i];
      const rgb = cellColour(cell, k);
      const o = ((n - 1 - r) * n + c) * 4; // row r has y growing upwards
      img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

export function toPixel(bounds, canvas, x, y) {
  const [x0, x1, y0, y1] = bounds;
  return [(x - x0) / (x1 - x0) * canvas.width, (1 - (y - y0) / (y1 - y0)) * canvas.height];
}

export function toData(bounds, canvas, px, py) {
  const [x0, x1, y0, y1] = bounds;
  return [x0 + px / canvas.width * (x1 - x0), y0 + (1 - py / canvas.height) * (y1 - y0)];
}

export function drawPoints(canvas, data, selected) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!data) return;
  const isTest = new Uint8Array(data.X.length);
  for (const i of data.test) isTest[i] = 1;
  data.X.forEach((p, i) => {
    const [px, py] = toPixel(data.bounds, canvas, p[0], p[1]);
    const col = PALETTE[data.y[i] % PALETTE.length];
    ctx.beginPath();
    ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
    if (isTest[i]) {
      ctx.fillStyle = "#fff"; ctx.fill();
      ctx.lineWidth = 1.6; ctx.strokeStyle = `rgb(${col})`; ctx.stroke();
    } else {
      ctx.fillStyle = `rgb(${col})`; ctx.fill();
      ctx.lineWidth = 0.8; ctx.strokeStyle = "#fff"; ctx.stroke();
    }
  });
  if (selected != null && data.X[selected]) {
    const [px, py] = toPixel(data.bounds, canvas, ...data.X[selected]);
    ctx.beginPath(); ctx.arc(px, py, 8, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5; ctx.strokeStyle = "#000"; ctx.stroke();
  }
}

function plot(canvas, series, yMax, label) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 18;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#667"; ctx.font = "11px system-ui";
  ctx.fillText(label, 4, 12);
  const n = Math.max(...series.map((s) => s.values.length), 2);
  for (const s of series) {
    const v = s.values;
    if (!v.length) continue;
    const step = Math.max(1, Math.floor(v.length / W)); // at most one point per pixel
    ctx.beginPath(); ctx.strokeStyle = s.colour; ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dash ? [4, 3] : []);
    for (let i = 0; i < v.length; i += step) {
      const x = pad + (i / (n - 1)) * (W - 2 * pad);
      const y = H - pad - Math.min(v[i] ?? 0, yMax) / yMax * (H - 2 * pad);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillText(`${yMax.toPrecision(2)}`, W - 30, 12);
  ctx.fillText(`epoch ${n}`, W - 70, H - 4);
}

export function drawCurves(lossCanvas, accCanvas, curves) {
  const top = Math.max(0.1, ...curves.loss.slice(0, 5), ...curves.val_loss.slice(0, 5));
  plot(lossCanvas, [
    { values: curves.loss, colour: "#2f6fde" },
    { values: curves.val_loss, colour: "#f08a24", dash: true },
  ], top * 1.05, "loss: train ─  test ┄");
  plot(accCanvas, [
    { values: curves.accuracy, colour: "#2f6fde" },
    { values: curves.val_accuracy, colour: "#f08a24", dash: true },
  ], 1, "accuracy: train ─  test ┄");
}

const SVG = "http://www.w3.org/2000/svg";
let diagramShape = "";

export function drawDiagram(svg, weights, k) {
  const sizes = [weights[0].length, ...weights.map((w) => w[0].length)];
  const W = 300, H = 200;
  const xs = sizes.map((_, l) => 15 + l * (W - 30) / (sizes.length - 1));
  const ys = sizes.map((n) => Array.from({ length: n }, (_, i) => (i + 0.5) * H / n));
  const shape = sizes.join("-");
  if (shape !== diagramShape) {
    svg.replaceChildren();
    weights.forEach((w, l) => w.forEach((row, i) => row.forEach((_, j) => {
      const e = document.createElementNS(SVG, "line");
      e.setAttribute("x1", xs[l]); e.setAttribute("y1", ys[l][i]);
      e.setAttribute("x2", xs[l + 1]); e.setAttribute("y2", ys[l + 1][j]);
      e.dataset.edge = `${l}.${i}.${j}`;
      svg.appendChild(e);
    })));
    sizes.forEach((n, l) => ys[l].forEach((y, i) => {
      const c = document.createElementNS(SVG, "circle");
      c.setAttribute("cx", xs[l]); c.setAttribute("cy", y); c.setAttribute("r", 5);
      const last = l === sizes.length - 1;
      c.setAttribute("fill", last ? `rgb(${PALETTE[i % PALETTE.length]})` : "#fff");
      c.setAttribute("stroke", "#555");
      svg.appendChild(c);
    }));
    diagramShape = shape;
  }
  const lines = svg.querySelectorAll("line");
  let e = 0;
  weights.forEach((w) => {
    let big = 1e-9;
    for (const row of w) for (const v of row) big = Math.max(big, Math.abs(v));
    for (const row of w) for (const v of row) {
      const line = lines[e++];
      line.setAttribute("stroke", v >= 0 ? "#2f6fde" : "#f08a24");
      line.setAttribute("stroke-width", (0.2 + 3 * Math.abs(v) / big).toFixed(2));
      line.setAttribute("stroke-opacity", (0.25 + 0.7 * Math.abs(v) / big).toFixed(2));
    }
  });
}

export function drawUnits(box, pictures, widths, n) {
  if (!pictures) { box.replaceChildren(); return; }
  if (box.childElementCount !== widths.length) {
    box.replaceChildren(...widths.map(() => Object.assign(document.createElement("div"), { className: "row" })));
  }
  let u = 0;
  widths.forEach((w, l) => {
    const row = box.children[l];
    while (row.childElementCount < w) row.appendChild(Object.assign(document.createElement("canvas"), { width: n, height: n }));
    while (row.childElementCount > w) row.lastChild.remove();
    for (let j = 0; j < w; j++) {
      const bytes = Uint8Array.from(atob(pictures[u++]), (ch) => ch.charCodeAt(0));
      const cv = row.children[j], ctx = cv.getContext("2d"), img = ctx.createImageData(n, n);
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
        const t = bytes[r * n + c] / 255, o = ((n - 1 - r) * n + c) * 4; // 0 orange .. 1 blue
        const a = Math.abs(2 * t - 1), col = t >= 0.5 ? [47, 111, 222] : [240, 138, 36];
        for (let q = 0; q < 3; q++) img.data[o + q] = Math.round(255 * (1 - a) + col[q] * a);
        img.data[o + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }
  });
}
