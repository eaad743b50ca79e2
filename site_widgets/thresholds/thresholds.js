// "None of these", explorable: one threshold per label over the shipped model's real
// logits (validation photos of each label, and photos of no bear), and what each choice
// does to the answers, beside the plain softmax that always names a label.
//
// The arithmetic is model.js (DOM-free, checked against PyTorch's Decide in the tests);
// this file draws it and keeps the choices in the address (state.js). Numbers the tests
// read: the root's data-thresholds / data-sure / data-beta, every cell's data-value.

import { responsiveSvg, s, vRule } from "../common/chart.js";
import { errorBox, h, statusLine } from "../common/ui.js";
import { readParam, writeParam } from "../common/urlstate.js";
import { linearScale } from "../figures/scales.js";
import { checkData, explore, logitRange, sigmoid } from "./model.js";
import { BETAS, SURE_RANGE, readState, writeState } from "./state.js";

const DATA = "assets/reports/shipped/logits.json";
const STRIP = { height: 74, margin: { top: 6, right: 10, bottom: 20, left: 10 } };
const pct = (v) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
const f2 = (v) => (v === null ? "–" : v.toFixed(2));

export async function mount(el, ctx) {
  el.classList.add("thr");
  const status = statusLine("widget-status");
  const error = errorBox("widget-error");
  el.replaceChildren(status.node, error.node);
  el.dataset.phase = "loading";
  status.set("Loading the model's recorded scores…", "loading");
  let data;
  try {
    data = checkData(await ctx.fetchJSON(el.dataset.src || DATA));
  } catch (err) {
    if (ctx.signal.aborted) return;
    el.dataset.phase = "error";
    status.set("The recorded scores could not be shown; the rest of the page works.", "error");
    error.show(err.message || String(err));
    return;
  }
  const ranges = data.classes.map((_, k) => logitRange(data, k));
  const { state, notes } = readState(readParam, data, ranges);
  const view = build(el, data, ranges, state, notes, ctx, (change) => update(change));
  function update(change) {
    Object.assign(state, change);
    const result = explore(data, state);
    view.show(state, result);
    for (const [name, value] of writeState(state, data)) writeParam(name, value);
    el.dataset.thresholds = state.thresholds.map((t) => t.toFixed(2)).join(",");
    el.dataset.sure = String(state.sure);
    el.dataset.beta = String(state.beta);
  }
  status.set("", "ready");
  update({});
  el.dataset.phase = "ready";
}

/** The controls, the strips and the tables; show(state, result) refreshes them. */
function build(el, data, ranges, state, notes, ctx, onChange) {
  const labels = data.classes.map((name, k) => labelRow(data, k, ranges[k], state, ctx, (t) => {
    const thresholds = [...state.thresholds];
    thresholds[k] = t;
    onChange({ thresholds });
  }));
  const sure = slider("sure", "Sure at least", SURE_RANGE, 0.01, state.sure, (v) => onChange({ sure: v }));
  const beta = h("label", { class: "thr-beta" }, "F-beta with beta ",
    h("select", { onchange: (e) => onChange({ beta: Number(e.target.value) }) },
      ...BETAS.map((b) => h("option", { value: b, selected: b === state.beta }, String(b)))));
  const reset = h("button", { type: "button", class: "md-button", onclick: () => onChange({ thresholds: [...data.thresholds], sure: data.sure }) },
    "Back to the shipped thresholds");
  const table = h("div", { class: "thr-table" });
  const key = (cls, text) => h("span", { class: "thr-key" },
    s("svg", { width: 10, height: 10, "aria-hidden": "true" }, s("circle", { class: `thr-dot thr-${cls}`, cx: 5, cy: 5, r: 3.5 })), " ", text);
  const legend = h("p", { class: "thr-legend" }, "Each strip, top to bottom: ", key("own", "that label's photos"), ", ",
    key("other", "the other bears"), ", ", key("none", "photos of no bear"), ". The black line is the threshold.");
  el.append(
    h("p", { class: "xp-note", hidden: !notes.length }, notes.join(" ")),
    legend,
    ...labels.map((l) => l.node),
    h("div", { class: "thr-controls" }, sure.node, beta, reset),
    table,
  );
  return {
    show(st, result) {
      labels.forEach((l, k) => l.show(st.thresholds[k], result.labels[k], st.beta));
      sure.set(st.sure);
      beta.querySelector("select").value = String(st.beta);
      table.replaceChildren(answersTable(data, result));
    },
  };
}

/** A range input with its value beside it. */
function slider(name, text, [min, max], step, value, onInput) {
  const out = h("output", { class: "xp-value" });
  const input = h("input", { type: "range", name, min, max, step, value, "aria-label": text,
    oninput: (e) => onInput(Number(e.target.value)) });
  return {
    node: h("label", { class: "xp-slider" }, text, input, out),
    input,
    set(v) {
      input.value = String(v);
      out.textContent = name === "sure" ? f2(v) : `${v.toFixed(1)} (sigmoid ${f2(sigmoid(v))})`;
    },
  };
}

/** One label: its threshold slider, the strip of every photo's logit for it, its yes/no figures. */
function labelRow(data, k, range, state, ctx, onInput) {
  const name = data.classes[k];
  const sl = slider(`t-${name}`, `“${name}” yes from logit`, range, 0.1, state.thresholds[k], onInput);
  const stats = h("p", { class: "thr-stats" });
  const host = h("div", { class: "thr-strip" });
  let t = state.thresholds[k];
  const chart = responsiveSvg(host, { ...STRIP, label: `Every photo's ${name} logit`, signal: ctx.signal,
    draw: (svg, f) => drawStrip(svg, f, data, k, range, t) });
  return {
    node: h("section", { class: "thr-label", dataset: { label: name } }, h("p", { class: "thr-name" }, h("strong", {}, name)), sl.node, host, stats),
    show(threshold, q, beta) {
      t = threshold;
      sl.set(threshold);
      chart.setLabel(`Every photo's ${name} logit; threshold ${threshold.toFixed(1)}`);
      chart.redraw();
      stats.replaceChildren(
        cell("recall", `${name} photos answered yes: `, pct(q.recall), q.recall), " · ",
        cell("precision", "yes that are right: ", pct(q.precision), q.precision), " · ",
        cell("f", `F${beta}: `, f2(q.f), q.f), " · ",
        cell("fp", "wrong yes: ", `${q.fp}`, q.fp));
    },
  };
}

const cell = (key, text, shown, value) => h("span", { dataset: { key, value: value === null ? "" : String(value) } }, text, h("strong", {}, shown));

/** Dots: this label's photos (top row), other bears (middle), photos of no bear (bottom); the threshold rule. */
function drawStrip(svg, f, data, k, range, t) {
  const x = linearScale(range, [f.left, f.right]);
  const rows = [["own", (set, i) => set.targets && set.targets[i] === k], ["other", (set, i) => set.targets && set.targets[i] !== k],
    ["none", (set) => !set.targets]];
  const rowH = (f.bottom - f.top) / rows.length;
  rows.forEach(([cls, pick], r) => {
    const y = f.top + rowH * (r + 0.5);
    for (const set of Object.values(data.sets)) {
      set.logits.forEach((z, i) => {
        if (pick(set, i)) svg.append(s("circle", { class: `thr-dot thr-${cls}`, cx: x.map(z[k]).toFixed(1), cy: (y + jitter(i) * rowH * 0.35).toFixed(1), r: 2.2 }));
      });
    }
  });
  vRule(svg, x.map(t), f, { class: "thr-rule" });
  for (const v of x.ticks(6)) {
    svg.append(s("text", { class: "chart-tick", x: x.map(v), y: f.bottom + 14, "text-anchor": "middle" }, String(v)));
  }
}

/** A fixed pseudo-random offset in [-1, 1] per photo, so dots of equal logits do not hide each other. */
function jitter(i) {
  const v = Math.sin((i + 1) * 12.9898) * 43758.5453;
  return 2 * (v - Math.floor(v)) - 1;
}

/** Each set of photos: what the rule answers, and what plain softmax answers. */
function answersTable(data, result) {
  const head = h("tr", {}, ...["Photos", "rule: right", "rule: wrong", "none of these", "not sure", "softmax: right", "softmax: wrong / named"].map((t) => h("th", {}, t)));
  const rows = Object.entries(data.sets).map(([name, set]) => {
    const { rule, softmax } = result.sets[name];
    const v = (key, value) => h("td", { dataset: { set: name, key, value: value === null || value === undefined ? "" : String(value) } }, pct(value ?? null));
    return set.targets
      ? h("tr", {}, h("td", {}, `${set.what} (${rule.n})`), v("rule.right", rule.right), v("rule.wrong", rule.wrong), v("rule.none", rule.none),
        v("rule.unsure", rule.unsure), v("softmax.right", softmax.right), v("softmax.wrong", softmax.wrong))
      : h("tr", {}, h("td", {}, `${set.what} (${rule.n})`), h("td", {}, "–"), v("rule.named", rule.named), v("rule.none", rule.none),
        v("rule.unsure", rule.unsure), h("td", {}, "–"), v("softmax.named", softmax.named));
  });
  return h("table", {}, h("thead", {}, head), h("tbody", {}, ...rows),
    h("caption", {}, `Accuracy with thresholds (every photo × label yes/no): ${pct(result.accuracyMulti)}`));
}
