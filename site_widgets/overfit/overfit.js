// Under- and overfitting, explorable: move the degree of a polynomial (the
// architecture) and the weight decay, draw a new noisy sample, and watch the fitted
// curve, its weights, and the training and validation error of every degree.
//
// The numbers come from model.js (DOM-free, tested against NumPy); this file only
// draws them and keeps the state in the address (state.js). Numbers the tests read:
// the root's data-degree/-wd/-seed, the readout's data-*-mse, every point's
// data-x/-y, every error dot's data-degree/-mse and every weight's data-value.

import { axes, clipped, line, responsiveSvg, s, vRule } from "../common/chart.js";
import { h } from "../common/ui.js";
import { fmtTick } from "../figures/format.js";
import { linearScale, logScale } from "../figures/scales.js";
import { readParam, writeParam } from "../figures/urlstate.js";
import { MAX_DEGREE, MAX_SEED, N_TRAIN, N_VALID, WD_CHOICES, explore, sampleCurve, truth } from "./model.js";
import { readState, wdText, writeState } from "./state.js";

const MARGIN = { top: 12, right: 12, bottom: 36, left: 46 };
const HEIGHT = 260;
const ERR_DOMAIN = [1e-3, 1e3]; // errors below sit on the bottom edge, above get an arrow at the top

/** Numbers as the readouts write them: 4 significant digits, an exponent when huge or tiny. */
export function fmtNum(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-4)) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

/** An error that is zero up to rounding (a curve through every point) says so. */
const fmtErr = (v) => (Math.abs(v) < 1e-12 ? `0 (to rounding: ${fmtNum(v)})` : fmtNum(v));

/** The URL prefix: data-url-prefix, else none for the page's first overfit widget and "overfitN-" after. */
function urlPrefix(el) {
  if (el.dataset.urlPrefix !== undefined) return el.dataset.urlPrefix;
  const k = [...document.querySelectorAll('[data-widget="overfit"]')].indexOf(el);
  return k > 0 ? `overfit${k + 1}-` : "";
}

export async function mount(el, ctx) {
  const prefix = urlPrefix(el);
  const { state, notes } = readState(readParam, prefix);
  el.classList.add("xp", "overfit");
  const parts = {
    controls: controls(state, (change) => update(change, true)),
    note: h("p", { class: "xp-note", hidden: !notes.length }, notes.join(" ")),
    readout: h("p", { class: "xp-readout", role: "status", "aria-live": "polite" }),
    weights: h("div", { class: "xp-weights-panel" }),
  };
  let result = explore(state);
  const fitHost = h("div", { class: "xp-plot" });
  const errHost = h("div", { class: "xp-plot xp-plot-pick", title: "Click or drag to choose a degree" });
  el.replaceChildren(parts.controls.node, parts.note,
    h("div", { class: "xp-pair" },
      h("figure", { class: "xp-figure" }, h("figcaption", {}, "The points and the fitted curve"), fitHost, fitLegend()),
      h("figure", { class: "xp-figure" }, h("figcaption", {}, "Mean squared error against degree"), errHost, errLegend())),
    parts.readout, parts.weights);
  const fitChart = responsiveSvg(fitHost, { height: HEIGHT, margin: MARGIN, label: "", draw: (svg, f) => drawFit(svg, f, state, result) });
  const errChart = responsiveSvg(errHost, { height: HEIGHT, margin: MARGIN, label: "", draw: (svg, f) => drawErrors(svg, f, state, result) });
  pickDegree(errHost, ctx, (degree) => update({ degree }, true));

  function update(change, remember) {
    const seedChanged = change.seed !== undefined && change.seed !== state.seed;
    Object.assign(state, change);
    if (change.wd !== undefined || seedChanged) result = explore(state);
    else result = { ...result, fit: result.curve[state.degree] };
    parts.controls.show(state);
    showReadout(el, parts.readout, state, result);
    parts.weights.replaceChildren(...weightsPanel(state, result, ctx));
    fitChart.setLabel(fitLabel(state, result));
    errChart.setLabel(errLabel(state, result));
    fitChart.redraw();
    errChart.redraw();
    if (remember) {
      for (const [name, value] of writeState(state, prefix)) writeParam(name, value);
      parts.note.hidden = true;
    }
  }
  update({}, false);
  el.dataset.phase = "ready"; // as the figures say it (loading | ready | error): pages' tests wait for it
}

// ------------------------------------------------------------------ controls

function controls(state, onChange) {
  const degree = h("input", { type: "range", min: 0, max: MAX_DEGREE, step: 1, value: state.degree, class: "xp-degree", "aria-label": "Degree of the polynomial" });
  const degreeOut = h("output", { class: "xp-value" });
  const wd = h("input", { type: "range", min: 0, max: WD_CHOICES.length - 1, step: 1, value: WD_CHOICES.indexOf(state.wd), class: "xp-wd", "aria-label": "Weight decay" });
  const wdOut = h("output", { class: "xp-value" });
  const seedOut = h("output", { class: "xp-value xp-seed" });
  const fresh = h("button", { type: "button", class: "md-button xp-new" }, "New noise");
  degree.addEventListener("input", () => onChange({ degree: Number(degree.value) }));
  wd.addEventListener("input", () => onChange({ wd: WD_CHOICES[Number(wd.value)] }));
  fresh.addEventListener("click", () => onChange({ seed: (state.seed + 1) % (MAX_SEED + 1) }));
  const node = h("div", { class: "xp-controls" },
    h("label", { class: "xp-slider" }, h("span", {}, "Degree"), degree, degreeOut),
    h("label", { class: "xp-slider" }, h("span", {}, "Weight decay"), wd, wdOut),
    h("span", { class: "xp-slider" }, fresh, h("span", {}, "sample"), seedOut));
  return {
    node,
    show(st) {
      degree.value = String(st.degree);
      degreeOut.textContent = String(st.degree);
      const k = WD_CHOICES.indexOf(st.wd);
      wd.value = String(k);
      wd.setAttribute("aria-valuetext", wdText(st.wd));
      wdOut.textContent = wdText(st.wd);
      seedOut.textContent = String(st.seed);
    },
  };
}

/** Click, or press and drag, on the error chart to choose the degree under the pointer. */
function pickDegree(host, ctx, choose) {
  const at = (ev) => {
    const box = host.getBoundingClientRect();
    const left = box.left + MARGIN.left, right = box.right - MARGIN.right;
    const x = linearScale([-0.5, MAX_DEGREE + 0.5], [left, right]);
    const d = Math.round(x.invert(ev.clientX));
    if (d >= 0 && d <= MAX_DEGREE) choose(d);
  };
  let down = false;
  host.addEventListener("pointerdown", (ev) => { down = true; host.setPointerCapture?.(ev.pointerId); at(ev); });
  host.addEventListener("pointermove", (ev) => { if (down) at(ev); });
  const up = () => { down = false; };
  host.addEventListener("pointerup", up);
  host.addEventListener("pointercancel", up);
  ctx.onUnmount(() => { down = false; });
}

// ------------------------------------------------------------------ text

function showReadout(el, node, state, result) {
  const { fit, best } = result;
  Object.assign(el.dataset, { degree: state.degree, wd: wdText(state.wd), seed: state.seed, bestDegree: best.degree });
  Object.assign(node.dataset, { degree: state.degree, wd: String(state.wd), seed: state.seed,
    trainMse: String(fit.train), validMse: String(fit.valid), bestDegree: best.degree, bestMse: String(best.valid) });
  node.replaceChildren(
    `Degree ${state.degree}, weight decay ${wdText(state.wd)}: training error `, h("strong", { class: "xp-train-mse" }, fmtErr(fit.train)),
    ", validation error ", h("strong", { class: "xp-valid-mse" }, fmtErr(fit.valid)),
    `. The noise alone costs ${fmtNum(result.noiseMse)} on new points. Lowest validation error at this weight decay: degree ${best.degree} (${fmtNum(best.valid)}).`);
}

function fitLabel(state, result) {
  return `${N_TRAIN} training and ${N_VALID} validation points of sample ${state.seed}, the curve they come from, ` +
    `and the polynomial of degree ${state.degree} fitted with weight decay ${wdText(state.wd)}.`;
}

function errLabel(state, result) {
  const parts = result.curve.map((c) => `degree ${c.degree}: training ${fmtNum(c.train)}, validation ${fmtNum(c.valid)}`);
  return `Mean squared error for degrees 0 to ${MAX_DEGREE}, current degree ${state.degree}. ${parts.join("; ")}.`;
}

/** The architecture (the formula of degree d) next to its weights (the fitted numbers). */
function weightsPanel(state, result, ctx) {
  const w = result.fit.w;
  const terms = w.map((_, k) => h("span", { class: "xp-term" }, k ? " + " : "", h("var", {}, "w"), h("sub", {}, k),
    k ? h("var", {}, "x") : null, k > 1 ? h("sup", {}, k) : null));
  const squares = w.slice(1).reduce((sum, v) => sum + v * v, 0);
  return [
    h("div", { class: "xp-arch" },
      h("p", { class: "xp-panel-title" }, h("strong", {}, "Architecture"), ": the function, fixed before any data is seen"),
      h("p", { class: "xp-formula", dataset: { degree: state.degree } }, h("var", {}, "y"), " = ", terms)),
    h("div", { class: "xp-arch" },
      h("p", { class: "xp-panel-title" }, h("strong", {}, "Weights"), `: its ${w.length} number${w.length > 1 ? "s" : ""}, fitted to the ${N_TRAIN} training points`),
      h("ol", { class: "xp-weights", start: 0 }, w.map((v, k) => h("li", { dataset: { k, value: String(v) } },
        h("var", {}, "w"), h("sub", {}, k), ` = ${fmtNum(v)}`))),
      h("p", { class: "xp-squares", dataset: { value: String(squares) } },
        `Sum of the squared weights w₁…w${subscript(state.degree)} (what weight decay keeps small): ${fmtNum(squares)}`)),
    h("p", { class: "xp-pretrained" },
      "New noise keeps the architecture and changes every weight. The bear classifier is built the same way, only bigger: " +
      "its architecture is a function with millions of weights, and ", h("code", {}, "pretrained"),
      " means training starts from weights someone else already fitted on ImageNet instead of from random numbers (see ",
      h("a", { href: ctx.asset("training/#transfer-learning").href }, "transfer learning"), ")."),
  ];
}

const subscript = (n) => String(n).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[c]);

function fitLegend() {
  return h("ul", { class: "xp-legend" },
    h("li", {}, s("svg", { width: 14, height: 10, "aria-hidden": "true" }, s("circle", { class: "xp-train-pt", cx: 7, cy: 5, r: 3.5 })), "training points"),
    h("li", {}, s("svg", { width: 14, height: 10, "aria-hidden": "true" }, s("circle", { class: "xp-valid-pt", cx: 7, cy: 5, r: 3.5 })), "validation points"),
    h("li", {}, s("svg", { width: 22, height: 10, "aria-hidden": "true" }, s("line", { class: "xp-truth", x1: 1, x2: 21, y1: 5, y2: 5 })), "the curve they come from"),
    h("li", {}, s("svg", { width: 22, height: 10, "aria-hidden": "true" }, s("line", { class: "xp-fit", x1: 1, x2: 21, y1: 5, y2: 5 })), "fitted polynomial"));
}

function errLegend() {
  return h("ul", { class: "xp-legend" },
    h("li", {}, s("svg", { width: 22, height: 10, "aria-hidden": "true" }, s("line", { class: "xp-err-train", x1: 1, x2: 21, y1: 5, y2: 5 })), "training error"),
    h("li", {}, s("svg", { width: 22, height: 10, "aria-hidden": "true" }, s("line", { class: "xp-err-valid", x1: 1, x2: 21, y1: 5, y2: 5 })), "validation error"),
    h("li", {}, s("svg", { width: 22, height: 10, "aria-hidden": "true" }, s("line", { class: "xp-noise", x1: 1, x2: 21, y1: 5, y2: 5 })), "the noise's share"));
}

// ------------------------------------------------------------------ drawings

/** A y range that holds every point of the sample, the same for every degree. */
function yDomain(data) {
  const ys = [...data.train.y, ...data.valid.y, -1, 1];
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = 0.15 * (hi - lo);
  return [lo - pad, hi + pad];
}

function drawFit(svg, f, state, result) {
  const { data, fit } = result;
  const x = linearScale([-1.05, 1.05], [f.left, f.right]);
  const y = linearScale(yDomain(data), [f.bottom, f.top]);
  axes(svg, f, { x, y, xFormat: fmtTick, yFormat: fmtTick, xTitle: "x", yTitle: "y", xCount: 4, yCount: 4 });
  const g = clipped(svg, f);
  const xs = sampleCurve([], 121).map((p) => p[0]); // evenly spaced x across the range
  line(g, xs, xs.map(truth), x, y, { class: "xp-truth" });
  const curve = sampleCurve(fit.w);
  line(g, curve.map((p) => p[0]), curve.map((p) => p[1]), x, y, { class: "xp-fit", "data-degree": state.degree });
  for (const [set, pts] of [["valid", data.valid], ["train", data.train]]) {
    const dotsG = s("g", { class: `xp-points xp-${set}-pts` });
    pts.x.forEach((xv, i) => dotsG.append(s("circle", { class: `xp-${set}-pt`, cx: x.map(xv), cy: y.map(pts.y[i]), r: set === "train" ? 4 : 3.5,
      "data-set": set, "data-x": String(xv), "data-y": String(pts.y[i]) })));
    g.append(dotsG);
  }
  const yd = y.domain;
  const leaves = curve.some((p) => p[1] < yd[0] || p[1] > yd[1]);
  if (leaves) svg.append(s("text", { class: "xp-off-note", x: f.right - 4, y: f.top + 12, "text-anchor": "end" }, "the curve leaves the chart"));
}

function drawErrors(svg, f, state, result) {
  const x = linearScale([-0.5, MAX_DEGREE + 0.5], [f.left, f.right]);
  const y = logScale(ERR_DOMAIN, [f.bottom, f.top]);
  axes(svg, f, { x, y, xFormat: String, yFormat: fmtTick, xTitle: "degree", yTitle: "mean squared error (log)", xCount: 6, yCount: 6 });
  const g = clipped(svg, f);
  g.append(s("line", { class: "xp-noise", x1: f.left, x2: f.right, y1: y.map(result.noiseMse), y2: y.map(result.noiseMse) }));
  vRule(g, x.map(state.degree), f, { class: "xp-current" });
  const degrees = result.curve.map((c) => c.degree);
  const clampTop = (v) => Math.min(v, ERR_DOMAIN[1]);
  line(g, degrees, result.curve.map((c) => clampTop(c.train)), x, y, { class: "xp-err-train" });
  line(g, degrees, result.curve.map((c) => clampTop(c.valid)), x, y, { class: "xp-err-valid" });
  for (const set of ["train", "valid"]) {
    const dotsG = s("g", { class: `xp-err-${set}-dots` });
    for (const c of result.curve) {
      const v = c[set];
      const attrs = { cx: x.map(c.degree), cy: y.map(clampTop(v)), r: c.degree === state.degree ? 5 : 3,
        class: `xp-err-dot xp-err-${set}-dot${c.degree === state.degree ? " xp-now" : ""}`,
        "data-set": set, "data-degree": c.degree, "data-mse": String(v) };
      dotsG.append(s("circle", attrs, s("title", {}, `degree ${c.degree}: ${set === "train" ? "training" : "validation"} error ${fmtNum(v)}`)));
      if (v > ERR_DOMAIN[1]) svg.append(s("text", { class: "xp-off", x: x.map(c.degree), y: f.top - 2, "text-anchor": "middle", "aria-hidden": "true" }, "↑"));
    }
    g.append(dotsG);
  }
}
