// The derivation panel: glassnet.derive's numbers for one point, at the current weights.

// Six decimals for ordinary sizes, scientific otherwise, a true minus sign (as glassnet.teach.explain.number).
export function num(v) {
  if (v == null) return "–";
  let t;
  if (v === 0) t = "0";
  else if (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e6) t = v.toFixed(6);
  else t = v.toExponential(3).replace(/e([+-])(\d)$/, "e$10$2");
  return t.startsWith("-") ? "−" + t.slice(1) : t;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function cell(v, name, cls) {
  const attrs = { "data-value": String(v), "data-name": name };
  if (cls) attrs.class = cls;
  return el("td", attrs, num(v));
}

function vectorTable(rows, k) {
  const t = el("table");
  t.append(el("tr", {}, el("th", {}, ""), ...Array.from({ length: k }, (_, i) => el("th", {}, `i = ${i}`))));
  for (const [label, name, values] of rows) {
    t.append(el("tr", {}, el("th", {}, label), ...values.map((v, i) => cell(v, `${name}.${i}`))));
  }
  return t;
}

export function showDerivation(panel, m, classes) {
  const k = m.z.length;
  panel.querySelector("#m-index").textContent =
    `#${m.index} at (${m.x.map((v) => v.toFixed(3)).join(", ")}), class ${m.label_name}, epoch ${m.epoch}`;
  const body = panel.querySelector("#m-body");
  const J = el("table", { id: "m-jacobian" });
  J.append(el("tr", {}, el("th", {}, "o \\ i"), ...m.z.map((_, i) => el("th", {}, String(i)))));
  m.jacobian.forEach((row, o) => J.append(el("tr", {}, el("th", {}, String(o)),
    ...row.map((v, i) => cell(v, `jacobian.${o}.${i}`, i === o ? "diag" : "off")))));
  const stepTable = el("table", { id: "m-step" });
  stepTable.append(el("tr", {}, el("th", {}, "unit h_j"), el("th", {}, "h_j"),
    ...m.z.map((_, i) => el("th", {}, `ΔW[j, ${i}]`))));
  m.step_W.forEach((row, j) => stepTable.append(el("tr", {}, el("th", {}, String(j)),
    cell(m.h[j], `h.${j}`), ...row.map((v, i) => cell(v, `step_W.${j}.${i}`)))));
  stepTable.append(el("tr", {}, el("th", {}, "Δb"), el("td", {}, ""),
    ...m.step_b.map((v, i) => cell(v, `step_b.${i}`))));
  const smooth = m.smoothing > 0
    ? ` With label smoothing ε = ${m.smoothing}, training's target is (1 − ε)y + ε/K, so its ∂L/∂z is ${m.grad_z.map(num).join(", ")}.`
    : "";
  body.replaceChildren(
    el("p", { class: "formula" }, "1. Logits z from the network, then ŷ = softmax(z): ŷ_i = exp(z_i − max z) / Σ_j exp(z_j − max z)"),
    vectorTable([["z", "z", m.z], ["ŷ = softmax(z)", "y_hat", m.y_hat], ["y (one-hot)", "y", m.y]], k),
    el("p", {}, "Loss L = −Σ y_o log ŷ_o = ", el("b", { "data-name": "loss", "data-value": String(m.loss) }, num(m.loss))),
    el("p", { class: "formula" }, "2. The softmax Jacobian J[o, i] = ∂ŷ_o/∂z_i: ",
      el("span", { class: "diag-key" }, "i = o: ŷ_o(1 − ŷ_o)"), " · ",
      el("span", { class: "off-key" }, "i ≠ o: −ŷ_o ŷ_i")),
    J,
    el("p", { class: "formula" }, "3. ∂L/∂ŷ_o = −y_o/ŷ_o; the chain rule Σ_o ∂L/∂ŷ_o J[o, i] collapses to ŷ − y:"),
    vectorTable([
      ["∂L/∂ŷ", "dL_dy_hat", m.dL_dy_hat], ["o = i term", "same_term", m.same_term],
      ["o ≠ i terms", "other_terms", m.other_terms], ["chain rule", "chain", m.chain],
      ["ŷ − y", "shortcut", m.shortcut], ["glassnet loss", "library", m.library],
    ], k),
    el("p", {}, `Routes agree to ${m.difference.toExponential(2)}${m.agrees ? " (machine precision)" : " — THEY DISAGREE"}.${smooth}`),
    el("p", { class: "formula" }, `4. The step ${m.optimizer} (step ${m.t + 1}) would take on the last layer if this point were the whole batch: ∂L/∂W = h ⊗ (ŷ − y), ∂L/∂b = ŷ − y`),
    stepTable,
    el("details", { open: "" }, el("summary", {}, "As glassnet explain prints it"),
      el("pre", { id: "explain-text" }, m.text),
      el("p", {}, "Reproduce: ", el("code", { id: "explain-command" }, m.command))),
  );
  panel.hidden = false;
}
