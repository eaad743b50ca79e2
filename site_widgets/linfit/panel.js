// The SGD widget's DOM: built once by buildPanel, then painted from the state (state.js)
// by paint and friends. No decisions here: what to show comes from the state module,
// how to draw the canvases from view.js.

import { errorBox, h, statusLine } from "../common/ui.js";
import { SETTINGS } from "./settings.js";
import { readout, showSetting } from "./state.js";
import { drawFit, drawLoss } from "./view.js";

let instances = 0; // ids for the labels of the sliders

function slider(key, value) {
  const spec = SETTINGS[key];
  const id = `linfit-${key}-${++instances}`;
  const out = h("output", { for: id }, showSetting(key, value));
  const input = h("input", {
    id, type: "range", min: 0, max: spec.choices.length - 1, step: 1,
    value: spec.choices.indexOf(value), "aria-valuetext": showSetting(key, value), dataset: { setting: key },
  });
  return { input, out, label: h("label", { class: "linfit-slider", for: id }, h("span", {}, spec.label), input, out) };
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
    sliders: Object.fromEntries(Object.keys(SETTINGS).map((key) => [key, slider(key, s.settings[key])])),
  };
  ui.editor.value = s.originalCode;
  ui.root = h("div", { class: "linfit" },
    h("div", { class: "linfit-plots" }, ui.fit, ui.loss),
    h("p", { class: "linfit-readout" }, "step ", ui.step, " · a = ", ui.coefficients, " · loss ", ui.lossOut, " ", ui.warning),
    h("div", { class: "linfit-controls" }, ui.play, ui.stepButton, ui.reset, Object.values(ui.sliders).map((sl) => sl.label)),
    ui.status.node, ui.note,
    h("div", { class: "linfit-editor" },
      h("p", { class: "linfit-hint" },
        "The update step, in Python. Edit it and run it (Ctrl+Enter). Available without import: ",
        h("code", {}, "matvec, mse, mse_grad, math"), ". Tab indents; Esc then Tab leaves the editor."),
      ui.editor, h("div", { class: "linfit-controls" }, ui.run, ui.restore), ui.errors.node, ui.output));
  return ui;
}

/** The canvases and the readout for the step on screen; the root's data- attributes for tests. */
export function paint(ui, el, s) {
  const r = readout(s);
  drawFit(ui.fit, s.data, r.a, s.best);
  drawLoss(ui.loss, s.run.loss, r.k, s.settings.steps, s.bestLoss);
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
