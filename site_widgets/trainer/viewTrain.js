// Steps 4 and 5 (draws only): the learning-rate finder's curve with the suggestion and the
// reader's pick, then the one-cycle controls and the training drawn live: lr, momentum and
// loss per batch (the training page's figures, on this run), and a row per epoch.

import { childController } from "../common/chart.js";
import { h } from "../common/ui.js";
import { lrFindFigure } from "../figures/lrfind.js";
import { scheduleFigure } from "../figures/onecycle.js";
import { fmtLr } from "../figures/format.js";
import { SETTINGS } from "./settings.js";
import * as say from "./text.js";

export function buildLr() {
  const v = { fig: h("div", { class: "fig trn-fig" }), text: h("p", { class: "trn-note", "aria-live": "polite" }), charts: null, drawn: null };
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "lrfind" } }, h("h3", {}, "4. Learning-rate finder"),
    h("p", { class: "trn-note" }, "A copy of a fresh head trains on one mini-batch after another while the learning rate grows " +
      "from 1e-7 to 10; the curve is its loss. The head itself is untouched."), v.fig, v.text);
  return v;
}

export function drawLr(v, s, signal, onPick) {
  v.node.hidden = !s.lr && s.busy !== "lrfind";
  if (!s.lr) { v.text.textContent = s.busy === "lrfind" ? "Running the learning-rate finder…" : ""; return; }
  v.node.dataset.suggested = String(s.lr.suggested_lr);
  v.node.dataset.picked = String(s.picked);
  v.text.textContent = say.lrSummary(s.lr, s.picked);
  const key = `${s.lr.lrs.length}/${s.lr.suggested_lr}/${s.picked}`;
  if (v.drawn === key) return;
  v.drawn = key;
  v.charts?.abort();
  v.charts = childController(signal);
  v.fig.replaceChildren(lrFindFigure({ ...s.lr, stage: "head", bs: SETTINGS.fit.bs }, v.charts.signal, { onPick, picked: s.picked }));
}

export function buildFit(on) {
  const { epochs, lr } = SETTINGS.controls;
  const v = {
    epochs: h("input", { type: "number", class: "trn-num", min: epochs.min, max: epochs.max, step: 1, "aria-label": "epochs" }),
    lr: h("input", { type: "number", class: "trn-num trn-lr", min: lr.min, max: lr.max, step: "any", "aria-label": "maximum learning rate" }),
    train: h("button", { type: "button", class: "md-button md-button--primary", onclick: on.train }, "Train the head"),
    cancel: h("button", { type: "button", class: "md-button", onclick: on.cancel, hidden: true }, "Cancel"),
    fig: h("div", { class: "fig trn-fig" }),
    epochRows: h("tbody"),
    text: h("p", { class: "trn-note", "aria-live": "polite" }),
    charts: null, last: 0, timer: null,
  };
  v.epochs.addEventListener("change", () => on.epochs(Number(v.epochs.value)));
  v.lr.addEventListener("change", () => on.lr(Number(v.lr.value)));
  v.table = h("table", { class: "trn-table trn-epochs", hidden: true }, h("caption", {}, "Each epoch"),
    h("thead", {}, h("tr", {}, ["epoch", "train loss", "valid loss", "error rate", "time"].map((t) => h("th", { scope: "col" }, t)))),
    v.epochRows);
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "fit" } }, h("h3", {}, "5. Train the head: one cycle"),
    h("div", { class: "trn-row" }, h("label", {}, "Epochs ", v.epochs), h("label", {}, "Max learning rate ", v.lr), v.train, v.cancel),
    v.fig, v.table, v.text);
  return v;
}

/** report.json's history for the live figure: the batches run so far (lr, momentum, loss). */
function liveReport(live) {
  if (live.batches.length < 2) return null;
  const batches = live.batches.map((b) => ({ stage: "frozen", epoch: b.epoch, lr: b.lr, mom: b.mom, loss: b.loss }));
  return { history: { batches } };
}

export function drawFit(v, s, signal) {
  const ready = Boolean(s.lr || s.fit);
  v.node.hidden = !ready;
  if (!ready) return;
  if (document.activeElement !== v.epochs) v.epochs.value = String(s.epochs);
  if (document.activeElement !== v.lr) v.lr.value = String(Number((s.picked ?? SETTINGS.fit.maxLr).toPrecision(3)));
  const busy = s.busy === "training";
  v.train.disabled = Boolean(s.busy);
  v.train.textContent = s.fit?.history ? "Train again" : "Train the head";
  v.cancel.hidden = !busy;
  const live = s.fit?.live;
  v.node.dataset.batches = String(live?.batches.length ?? 0);
  v.node.dataset.epochsDone = String(live?.epochs.length ?? 0);
  if (!live) return;
  drawEpochs(v, live);
  v.text.textContent = s.fit.history ? say.fitSummary(s.fit) : busy ? `Training: batch ${live.batches.length} of ${live.epochsWanted * live.nb}…` : "";
  if (s.fit.history) v.node.dataset.seconds = String(s.fit.seconds);
  throttled(v, () => drawSchedule(v, live, signal), busy ? 120 : 0);
}

function drawEpochs(v, live) {
  v.table.hidden = !live.epochs.length;
  if (v.epochRows.children.length === live.epochs.length) return;
  v.epochRows.replaceChildren(...live.epochs.map((e) => h("tr", {}, h("td", {}, String(e.epoch + 1)), h("td", {}, e.train_loss.toFixed(4)),
    h("td", {}, e.valid_loss.toFixed(4)), h("td", {}, `${(100 * e.error_rate).toFixed(2)}%`), h("td", {}, `${e.time.toFixed(2)} s`))));
}

/** Redraw at most every `ms` while training (drawing every batch would slow the training down). */
function throttled(v, draw, ms) {
  const now = performance.now();
  clearTimeout(v.timer);
  if (now - v.last >= ms) { v.last = now; draw(); } else v.timer = setTimeout(() => { v.last = performance.now(); draw(); }, ms);
}

function drawSchedule(v, live, signal) {
  const report = liveReport(live);
  if (!report) return;
  v.charts?.abort();
  v.charts = childController(signal);
  const what = `${live.epochsWanted} epochs, max lr ${fmtLr(live.maxLr)}, on your activations`;
  v.fig.replaceChildren(scheduleFigure(report, what, v.charts.signal));
}
