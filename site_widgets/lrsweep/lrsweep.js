// The learning-rate finder, made causal: the finder's curve (lr_find.json) with, on the
// same learning-rate axis, where the head ended when it was really trained at each lr of
// a sweep (sweep.json, training/bears/lr_sweep.py): final validation loss on the finder's
// loss axis, final error rate below. Pick an lr (pointer, touch, arrow keys): the nearest
// swept run's training curves are drawn under it, every other run faint. A switch shows
// the whole network's finder (lr_find_unfrozen.json) with the figures' lrfind widget.
//
// Shaping and the address: model.js (DOM-free); drawing: common/chart.js, figures/.
// Numbers the tests read: the readout's data-index/-lr/-valid-loss/-error-rate/-n-wrong,
// each final-loss dot's data-lr/-valid-loss, the root's data-stage.

import { axes, band, bindCursor, clipped, cursorMark, dots, label, line, responsiveSvg, s, vRule } from "../common/chart.js";
import { h } from "../common/ui.js";
import { readParam, writeParam } from "../common/urlstate.js";
import { loadReport } from "../figures/data.js";
import { fmtLoss, fmtLr, fmtPct, fmtTick } from "../figures/format.js";
import { legend, plotHost, shell, showReadout } from "../figures/frame.js";
import { mount as mountFinder } from "../figures/lrfind.js";
import { linearScale, logDomain, logScale, wantsLog, zeroDomain } from "../figures/scales.js";
import { lrFindSeries, nearestLr } from "../figures/series.js";
import { CHART, SCALES } from "../figures/settings.js";
import * as model from "./model.js";

const HEIGHT = { top: 360, curves: 210 };
const GAP = 22; // between the loss panel and the error panel
const ERR_SHARE = 0.3; // of the two panels' height

/** The URL prefix: data-url-prefix, else none for the page's first sweep widget and "lrsweepN-" after. */
function urlPrefix(el) {
  if (el.dataset.urlPrefix !== undefined) return el.dataset.urlPrefix;
  const k = [...document.querySelectorAll('[data-widget="lrsweep"]')].indexOf(el);
  return k > 0 ? `lrsweep${k + 1}-` : "";
}

export async function mount(el, ctx) {
  const dir = el.dataset.run || "lr_sweep";
  const prefix = urlPrefix(el);
  const ui = shell(el, "fig-lrsweep", "Loading the learning-rate sweep…");
  await ui.load(async (body) => {
    const sweep = model.sweepSeries(await loadReport(ctx, dir, "sweep.json"), `${dir}/sweep.json`);
    // the finders are named relative to the reports folder (default/lr_find.json)
    const finder = lrFindSeries(await loadReport(ctx, null, sweep.finderFile), sweep.finderFile);
    body.replaceChildren(...widget(el, ctx, { prefix, sweep, finder }));
  });
}

function widget(el, ctx, { prefix, sweep, finder }) {
  const { state, notes } = model.readState(readParam, sweep, prefix);
  if (state.stage === "unfrozen" && !sweep.unfrozenFile) notes.push("The whole network's finder was not recorded; showing the head's.");
  const remember = () => model.writeState(sweep, state, prefix).forEach(([k, v]) => writeParam(k, v));
  const head = headView(ctx, sweep, finder, state.run, (i) => { state.run = i; remember(); });
  const unfrozen = h("div", { class: "lsw-unfrozen" });
  let finderMounted = false;
  const show = (stage, save) => {
    state.stage = stage === "unfrozen" && sweep.unfrozenFile ? "unfrozen" : "head";
    el.dataset.stage = state.stage;
    head.hidden = state.stage !== "head";
    unfrozen.hidden = state.stage !== "unfrozen";
    if (state.stage === "unfrozen" && !finderMounted) {
      finderMounted = true;
      const [run, file] = model.splitReport(sweep.unfrozenFile);
      Object.assign(unfrozen.dataset, { run, file });
      mountFinder(unfrozen, ctx);
    }
    if (save) remember();
  };
  const note = h("p", { class: "fig-note lsw-note", hidden: !notes.length }, notes.join(" "));
  const out = [stageSwitch(sweep, state.stage, (stage) => { note.hidden = true; show(stage, true); }), note, head, unfrozen];
  show(state.stage, false);
  return out;
}

let uid = 0; // radio groups' names: one per widget on the page

function stageSwitch(sweep, stage, onPick) {
  const name = `lsw-stage-${++uid}`;
  const choice = (value, text) => h("label", { class: "fig-choice" },
    h("input", { type: "radio", name, value, checked: value === stage, disabled: value === "unfrozen" && !sweep.unfrozenFile,
      onchange: (ev) => ev.target.checked && onPick(value) }), text);
  return h("fieldset", { class: "fig-switch lsw-switch" }, h("legend", {}, "Which finder"),
    choice("head", "The head (body frozen), with the sweep"),
    choice("unfrozen", sweep.unfrozenFile ? "The whole network (unfrozen)" : "The whole network (not recorded)"));
}

// ------------------------------------------------------------------ the head: finder + sweep

function headView(ctx, sweep, finder, start, onPick) {
  const plot = plotHost("Learning rate: the arrow keys move between the swept runs", sweep.runs.length);
  const readout = h("p", { class: "fig-readout lsw-readout" });
  const curvesHost = h("div", { class: "lsw-curves" });
  let drawn = null, control = null;
  const place = (i) => {
    if (!drawn) return;
    const r = sweep.runs[i], { x, yLoss, yErr, cursor } = drawn;
    const p = finder.points[nearestLr(finder, r.lr)];
    const sm = p.smoothed ?? p.loss;
    const onFinder = r.lr >= finder.points[0].lr && r.lr <= finder.points[finder.points.length - 1].lr;
    cursor.move(x.map(r.lr), [onFinder && sm !== null ? yLoss.map(Math.min(sm, yLoss.domain[1])) : NaN,
      r.final ? yLoss.map(Math.min(r.final.valid_loss, yLoss.domain[1])) : NaN, r.final ? yErr.map(r.final.error_rate) : NaN]);
    cursor.node.dataset.index = String(i);
  };
  const chart = responsiveSvg(plot, {
    height: HEIGHT.top, margin: CHART.margin, label: summary(sweep), signal: ctx.signal,
    draw(svg, f) {
      drawn = drawTop(svg, f, sweep, finder);
      if (control) place(control.index);
    },
  });
  const curves = responsiveSvg(curvesHost, {
    height: HEIGHT.curves, margin: CHART.margin, label: "", signal: ctx.signal,
    draw: (svg, f) => drawCurves(svg, f, sweep, control ? control.index : start),
  });
  control = bindCursor(plot, {
    count: sweep.runs.length, start, pageStep: 2,
    indexAt(clientX) {
      if (!drawn) return null;
      const px = clientX - chart.svg.getBoundingClientRect().left;
      if (px < drawn.frame.left - 12 || px > drawn.frame.right + 12) return null;
      return model.nearestRun(sweep, drawn.x.invert(Math.min(Math.max(px, drawn.frame.left), drawn.frame.right)));
    },
    onChange(i, via) {
      const r = sweep.runs[i];
      showReadout(plot, readout, i, model.readoutText(sweep, i), {
        lr: r.lr, validLoss: r.final?.valid_loss, errorRate: r.final?.error_rate, nWrong: r.final?.n_wrong, diverged: r.diverged });
      place(i);
      curves.redraw();
      curves.setLabel(`Training loss per batch of every swept run; the run at max_lr ${fmtLr(r.lr)} drawn bold, its validation loss per epoch as dots.`);
      if (via !== "start") onPick(i);
    },
  });
  return h("figure", { class: "fig-figure lsw-head" }, plot, readout,
    legend([
      { label: "finder: smoothed loss", cls: "fig-smooth" },
      { label: "a swept run's final validation loss", cls: "lsw-final", dot: true },
      { label: "its final error rate (lower panel)", cls: "lsw-err", dot: true },
      ...(sweep.nearBest ? [{ label: `runs within ${sweep.nearBest.factor}× of the lowest validation loss`, cls: "lsw-near-key" }] : []),
      ...(sweep.steepest !== null ? [{ label: "finder's steepest point", cls: "fig-suggest-rule" }] : []),
      ...(sweep.minDiv10 !== null ? [{ label: "minimum ÷ 10", cls: "fig-min-rule" }] : []),
    ]),
    curvesHost,
    legend([
      { label: "training loss per batch, the chosen run", cls: "lsw-run-chosen" },
      { label: "its validation loss after each epoch", cls: "lsw-valid", dot: true },
      { label: "the other runs", cls: "lsw-run" },
    ]),
    h("figcaption", { class: "fig-caption" }, `${sweep.what} ${summary(sweep)} `,
      h("span", { class: "fig-hint" }, "Point at the chart, or focus it and use the arrow keys, Home and End, to pick a learning rate.")));
}

/** What the sweep says, in words (the chart's accessible name and its caption). */
function summary(sweep) {
  const bv = sweep.runs[sweep.best.valid_loss];
  const be = sweep.runs[sweep.best.error_rate];
  if (!bv) return "Every run diverged.";
  const parts = [`The lowest final validation loss, ${fmtLoss(bv.final.valid_loss)}, came from max_lr ${fmtLr(bv.lr)}`];
  if (sweep.steepest !== null) parts.push(`the finder's steepest point is ${fmtLr(sweep.steepest)}`);
  if (sweep.minDiv10 !== null) parts.push(`“minimum ÷ 10” is ${fmtLr(sweep.minDiv10)}`);
  let text = `${parts.join("; ")}.`;
  if (be && be !== bv) text += ` The lowest error rate, ${fmtPct(be.final.error_rate)}, came from max_lr ${fmtLr(be.lr)}.`;
  return text;
}

/** Both panels: x from the finder's and the sweep's lrs; loss above, error rate below. */
function drawTop(svg, f, sweep, finder) {
  const pts = finder.points;
  const lrs = [pts[0].lr, pts[pts.length - 1].lr, sweep.runs[0].lr, sweep.runs[sweep.runs.length - 1].lr];
  const x = logScale([Math.min(...lrs) / 1.4, Math.max(...lrs) * 1.4], [f.left, f.right]);
  const split = f.top + (f.bottom - f.top - GAP) * (1 - ERR_SHARE);
  const fl = { ...f, bottom: split }, fe = { ...f, top: split + GAP };
  const sm = pts.map((p) => p.smoothed ?? p.loss).filter((v) => v !== null);
  const yLoss = linearScale([0, Math.max(...sm) * SCALES.lrFindHeadroom], [fl.bottom, fl.top]);
  const errs = sweep.runs.map((r) => r.final?.error_rate ?? null);
  const yErr = linearScale(zeroDomain(errs, 0.1), [fe.bottom, fe.top]);
  axes(svg, fl, { x, y: yLoss, yFormat: fmtTick, yTitle: "loss", xAxis: false });
  axes(svg, fe, { x, y: yErr, xFormat: fmtTick, yFormat: (v) => fmtPct(v, 0), yCount: 2, xTitle: "learning rate (log scale)", yTitle: "error" });
  const g = clipped(svg, { ...f, top: fl.top });
  if (sweep.nearBest) band(g, x.map(sweep.nearBest.lo / 1.25), x.map(sweep.nearBest.hi * 1.25), fl, { class: "lsw-near" });
  line(g, pts.map((p) => p.lr), pts.map((p) => p.loss), x, yLoss, { class: "fig-raw" });
  line(g, pts.map((p) => p.lr), pts.map((p) => p.smoothed), x, yLoss, { class: "fig-smooth" });
  finderMarks(svg, g, fl, x, sweep);
  sweepMarks(svg, g, { fl, fe }, { x, yLoss, yErr }, sweep);
  return { x, yLoss, yErr, frame: f, cursor: cursorMark(g, f, 3) };
}

function finderMarks(svg, g, fl, x, sweep) {
  if (sweep.steepest !== null) {
    vRule(g, x.map(sweep.steepest), fl, { class: "fig-suggest-rule" });
    label(svg, x.map(sweep.steepest), fl.top + 12, `steepest ${fmtLr(sweep.steepest)}`, fl, { class: "fig-suggest-label" });
  }
  if (sweep.minDiv10 !== null) {
    vRule(g, x.map(sweep.minDiv10), fl, { class: "fig-min-rule" });
    label(svg, x.map(sweep.minDiv10), fl.top + 26, `min ÷ 10 ${fmtLr(sweep.minDiv10)}`, fl, { class: "fig-min-label" });
  }
}

/** Each swept lr: a tick on the axis, its final validation loss (an arrow when off the top), its error rate. */
function sweepMarks(svg, g, { fl, fe }, { x, yLoss, yErr }, sweep) {
  const top = yLoss.domain[1];
  const done = sweep.runs.filter((r) => r.final);
  for (const r of sweep.runs) g.append(s("line", { class: "lsw-tick", x1: x.map(r.lr), x2: x.map(r.lr), y1: fl.bottom, y2: fl.bottom - 6 }));
  line(g, done.map((r) => r.lr), done.map((r) => Math.min(r.final.valid_loss, top)), x, yLoss, { class: "lsw-final-line" });
  line(g, done.map((r) => r.lr), done.map((r) => r.final.error_rate), x, yErr, { class: "lsw-err-line" });
  const finals = s("g", { class: "lsw-final" });
  const errors = s("g", { class: "lsw-err" });
  let lastLabel = -Infinity; // off-the-top values are labelled where there is room (a phone has little)
  for (const r of sweep.runs) {
    const px = x.map(r.lr);
    if (!r.final) {
      svg.append(s("text", { class: "fig-diverged", x: px, y: fe.top + 10, "text-anchor": "middle" }, "×"));
      continue;
    }
    const off = r.final.valid_loss > top;
    const dot = s("circle", { cx: px, cy: yLoss.map(Math.min(r.final.valid_loss, top)), r: off ? 4 : 3.5, class: off ? "lsw-off" : null,
      "data-lr": r.lr, "data-valid-loss": r.final.valid_loss }, s("title", {}, `max_lr ${fmtLr(r.lr)}: final validation loss ${fmtLoss(r.final.valid_loss)}`));
    finals.append(dot);
    if (off && px - lastLabel >= 30) {
      lastLabel = px;
      svg.append(s("text", { class: "lsw-off-label", x: px, y: fl.top - 3, "text-anchor": "middle" },
        `↑${fmtTick(Number(r.final.valid_loss.toPrecision(2)))}`));
    }
    errors.append(s("circle", { cx: px, cy: yErr.map(r.final.error_rate), r: 3.5, "data-lr": r.lr, "data-error-rate": r.final.error_rate },
      s("title", {}, `max_lr ${fmtLr(r.lr)}: final error rate ${fmtPct(r.final.error_rate)}`)));
  }
  g.append(finals, errors);
  const best = sweep.runs[sweep.best.valid_loss];
  if (best) g.append(s("circle", { class: "lsw-best", cx: x.map(best.lr), cy: yLoss.map(Math.min(best.final.valid_loss, top)), r: 7 }));
}

// ------------------------------------------------------------------ the chosen run's training

function drawCurves(svg, f, sweep, chosen) {
  const runs = model.curves(sweep);
  const total = sweep.nEpochs * sweep.stepsPerEpoch;
  const x = linearScale([1, total], [f.left, f.right]);
  const values = runs.flatMap((c) => [...c.batches, ...c.valid].map((p) => p[1])).filter((v) => v !== null);
  const log = wantsLog(values, SCALES.logWhenSpanOver, SCALES.lossFloor);
  const y = log ? logScale(logDomain(values, SCALES.lossFloor), [f.bottom, f.top]) : linearScale(zeroDomain(values), [f.bottom, f.top]);
  axes(svg, f, { x, y, xFormat: fmtTick, yFormat: fmtTick, xTitle: "batch (epochs marked)", yTitle: log ? "loss (log)" : "loss" });
  const g = clipped(svg, f);
  for (let e = 1; e < sweep.nEpochs; e++) vRule(g, x.map(e * sweep.stepsPerEpoch + 0.5), f, { class: "fig-epoch-rule" });
  for (const c of runs) {
    if (c.i === chosen) continue;
    line(g, c.batches.map((p) => p[0]), c.batches.map((p) => p[1]), x, y, { class: "lsw-run" });
  }
  const c = runs[chosen];
  const path = line(g, c.batches.map((p) => p[0]), c.batches.map((p) => p[1]), x, y, { class: "lsw-run-chosen" });
  path.dataset.index = String(chosen);
  dots(g, c.valid.map((p) => p[0]), c.valid.map((p) => p[1]), x, y, { class: "lsw-valid" },
    (k) => `epoch ${k + 1}: validation loss ${fmtLoss(c.valid[k][1])}`);
}
