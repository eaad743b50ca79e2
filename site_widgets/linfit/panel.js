// The SGD widget's DOM: built once by buildPanel, then painted from the state (state.js)
// by paint and friends. No decisions here: what to show comes from the state module (and
// surface.js for the loss surface), how to draw the canvases from view.js.

import { errorBox, h, statusLine } from "../common/ui.js";
import { SETTINGS } from "./settings.js";
import { readout, showSetting } from "./state.js";
import { limitNote, picture, stepsNote } from "./surface.js";
import { drawFit, drawLoss, drawSteps, drawSurface } from "./view.js";

let instances = 0; // ids for the labels of the sliders

function slider(key, value, limit) {
  const spec = SETTINGS[key];
  const id = `linfit-${key}-${++instances}`;
  const out = h("output", { for: id }, showSetting(key, value));
  const input = h("input", {
    id, type: "range", min: 0, max: spec.choices.length - 1, step: 1,
    value: spec.choices.indexOf(value), "aria-valuetext": showSetting(key, value), dataset: { setting: key },
  });
  // The learning rate's limit, marked on its track (where the loss surface is drawn)
  const mark = limit ? h("span", { class: "linfit-limit", "aria-hidden": "true" }, h("span", {})) : null;
  const track = h("span", { class: "linfit-track" }, input, mark);
  const label = h("label", { class: `linfit-slider${mark ? " linfit-slider--limit" : ""}`, for: id }, h("span", {}, spec.label), track, out);
  return { input, out, mark, label };
}

function surfaceParts(s) {
  if (!s.surface) return {};
  const limitText = h("span", { class: "linfit-limit-text", id: `linfit-limit-${++instances}` });
  return {
    surfaceMap: h("canvas", { class: "linfit-canvas linfit-surface", role: "img" }),
    stepsView: h("canvas", { class: "linfit-canvas linfit-steps", role: "img" }),
    limitText,
    stepsText: h("p", { class: "linfit-steps-text" }),
  };
}

function editorPart(ui) {
  return h("div", { class: "linfit-editor" },
    h("p", { class: "linfit-hint" },
      "The update step, in Python. Edit it and run it (Ctrl+Enter). Available without import: ",
      h("code", {}, "matvec, mse, mse_grad, math"), ". Tab indents; Esc then Tab leaves the editor.",
      ui.sliders.momentum ? " Momentum β, when not 0, adds β times the previous step to what update() returns (PyTorch's SGD momentum)." : ""),
    ui.editor, h("div", { class: "linfit-controls" }, ui.run, ui.restore), ui.errors.node, ui.output);
}

/** Every element of the widget, in a tree under `root`. */
export function buildPanel(s) {
  const button = (cls, text) => h("button", { type: "button", class: `md-button ${cls}` }, text);
  const ui = {
    fit: h("canvas", { class: "linfit-canvas", role: "img", "aria-label": "data points and the fitted line" }),
    loss: h("canvas", { class: "linfit-canvas", role: "img", "aria-label": "loss per step" }),
    step: h("span", { class: "linfit-step" }),
    coefficients: h("span", { class: "linfit-a" }),
    lossOut: h("span", { class: "linfit-loss" }),
    warning: h("span", { class: "linfit-warning", role: "status" }),
    play: button("md-button--primary linfit-play", "Play"),
    stepButton: button("linfit-stepbtn", "Step"),
    reset: button("linfit-reset", "Reset"),
    status: statusLine("widget-status linfit-status"),
    note: h("p", { class: "linfit-note", hidden: true }),
    errors: errorBox("widget-error linfit-error"),
    output: h("pre", { class: "linfit-output", hidden: true, "aria-label": "what your code printed" }),
    editor: h("textarea", {
      class: "linfit-code", rows: Math.max(8, s.originalCode.split("\n").length), wrap: "off", spellcheck: "false",
      autocapitalize: "off", autocomplete: "off", "aria-label": "Python code of update(a, xb, yb, lr)",
    }),
    run: button("md-button--primary linfit-run", "Run my update"),
    restore: button("linfit-restore", "Restore original"),
    sliders: Object.fromEntries(s.keys.map((key) => [key, slider(key, s.settings[key], s.surface && key === "lr")])),
    ...surfaceParts(s),
  };
  ui.editor.value = s.originalCode;
  if (ui.limitText) ui.sliders.lr.input.setAttribute("aria-describedby", ui.limitText.id);
  ui.root = h("div", { class: "linfit" },
    h("div", { class: "linfit-plots" }, ui.fit, ui.loss, ui.surfaceMap, ui.stepsView),
    h("p", { class: "linfit-readout" }, "step ", ui.step, " · a = ", ui.coefficients, " · loss ", ui.lossOut, " ", ui.warning),
    h("div", { class: "linfit-controls" }, ui.play, ui.stepButton, ui.reset, Object.values(ui.sliders).map((sl) => sl.label)),
    ui.limitText ? h("p", { class: "linfit-limit-note" }, ui.limitText) : null, ui.stepsText,
    ui.status.node, ui.note, editorPart(ui));
  return ui;
}

/** The limit's mark on the lr track: where 2(1 + β)/λmax falls between the slider's choices. */
function placeLimit(ui, s) {
  const { value, text } = limitNote(s.q, s.settings.momentum);
  const choices = SETTINGS.lr.choices;
  const i = choices.findIndex((c, j) => j + 1 < choices.length && value >= c && value < choices[j + 1]);
  const at = i < 0 ? (value < choices[0] ? 0 : choices.length - 1) : i + (value - choices[i]) / (choices[i + 1] - choices[i]);
  const { mark } = ui.sliders.lr;
  mark.style.setProperty("--at", String(at / (choices.length - 1)));
  mark.dataset.value = String(value);
  mark.firstChild.textContent = `limit ${Number(value.toPrecision(3))}`;
  ui.limitText.textContent = text;
}

/** The contour map, the 1-D view and their texts; their data- and drawn records for the tests. */
function paintSurface(ui, s, k) {
  const pic = picture(s.q, s.run, k);
  ui.surfaceMap.drawn = drawSurface(ui.surfaceMap, pic);
  ui.stepsView.drawn = drawSteps(ui.stepsView, pic.steps);
  const a = pic.path[pic.path.length - 1];
  ui.surfaceMap.setAttribute("aria-label", `Contours of the loss over a0 and a1; the path of a from (${a0(pic.path[0])}) to (${a0(a)}) after ${k} steps; the best a is at (${a0(s.q.best)}).`);
  ui.stepsView.setAttribute("aria-label", "The loss along the steepest direction, a parabola, and the run's next steps on it as arrows.");
  placeLimit(ui, s);
  ui.stepsText.textContent = stepsNote(s.q, s.settings, s.runCode === s.originalCode).text;
}
const a0 = (a) => a.map((v) => v.toFixed(2)).join(", ");

/** The canvases and the readout for the step on screen; the root's data- attributes for tests. */
export function paint(ui, el, s) {
  const r = readout(s);
  drawFit(ui.fit, s.data, r.a, s.best);
  drawLoss(ui.loss, s.run.loss, r.k, s.settings.steps, s.bestLoss);
  if (s.surface) paintSurface(ui, s, r.k);
  ui.step.textContent = r.step;
  ui.coefficients.textContent = r.coefficients;
  ui.lossOut.textContent = r.lossText;
  ui.lossOut.dataset.value = String(r.loss);
  ui.warning.textContent = r.warning;
  el.dataset.k = String(r.k);
  el.dataset.source = s.source;
}

export function showPlaying(ui, el, playing) {
  ui.play.textContent = playing ? "Pause" : "Play";
  ui.play.setAttribute("aria-pressed", String(playing));
  el.dataset.playing = String(playing);
}

/** A slider's own text after it moved (its value is the reader's). */
export function showSlider(ui, key, value) {
  const { input, out } = ui.sliders[key];
  out.textContent = showSetting(key, value);
  input.setAttribute("aria-valuetext", showSetting(key, value));
}

/** What Python printed, and its error (or none). */
export function showAnswer(ui, { output, error }) {
  ui.output.hidden = !output;
  ui.output.textContent = output || "";
  if (error) ui.errors.show(error);
  else ui.errors.clear();
}
