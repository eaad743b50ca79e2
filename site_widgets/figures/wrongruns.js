// "What goes wrong": pick a recorded run (lr too high, too few epochs...) and see
// it beside the good run on the same axes: training loss per batch, training vs
// validation loss per epoch, error rate per epoch, its description, the final
// numbers and plain facts read off them. The choice is kept in the URL (?run=...).
//
// Runs come from index.json (all but the good one, or the div's data-runs="a,b").
// Data shaping: series.js, facts.js; drawing: common/chart.js.

import { axes, band, childController, clipped, dots, line, responsiveSvg, s, vRule } from "../common/chart.js";
import { h } from "../common/ui.js";
import { confusionCells } from "./cells.js";
import { loadIndex, loadReport } from "./data.js";
import { runFacts } from "./facts.js";
import { fmtLoss, fmtPct, fmtTick, runTitle } from "./format.js";
import { legend, shell } from "./frame.js";
import { finite, linearScale, logDomain, logScale, wantsLog, zeroDomain } from "./scales.js";
import { DataError, epochSeries, epochStages, scheduleSeries, stageTitle } from "./series.js";
import { BASELINE, CHART, SCALES, URL_PARAM } from "./settings.js";
import { readParam, writeParam } from "../common/urlstate.js";

let instances = 0;

export async function mount(el, ctx) {
  const ui = shell(el, "fig-wrongruns", "Loading the recorded runs…");
  await ui.load(async (body) => {
    const runs = await loadIndex(ctx);
    const baseline = runs.find((r) => r.name === BASELINE);
    if (!baseline) throw new DataError(`index.json has no “${BASELINE}” run to compare the others with.`);
    const only = el.dataset.runs ? el.dataset.runs.split(",").map((x) => x.trim()) : null;
    const choices = runs.filter((r) => r.name !== BASELINE && (!only || only.includes(r.name)));
    if (!choices.length) throw new DataError("index.json lists no run to compare with the good one.");
    const good = await loadRun(ctx, baseline);
    body.replaceChildren(view(el, ctx, good, choices));
  });
}

async function loadRun(ctx, summary) {
  const file = `${summary.name}/report.json`;
  const report = await loadReport(ctx, summary.name, "report.json");
  let confusion = null;
  try { confusion = confusionCells(report, file); } catch { /* the facts just skip the guessing comparison */ }
  return { summary, batches: scheduleSeries(report, file), epochs: epochSeries(report, file), confusion };
}

// ------------------------------------------------------------------ the view

function view(el, ctx, good, choices) {
  const param = URL_PARAM.wrongruns;
  const asked = readParam(param);
  const first = choices.find((r) => r.name === asked) || choices[0];
  const group = `fig-wrongruns-${++instances}`;
  const radios = choices.map((r) => h("label", { class: "fig-choice" },
    h("input", { type: "radio", name: group, value: r.name, checked: r === first }), runTitle(r.name)));
  const switcher = h("fieldset", { class: "fig-switch" }, h("legend", {}, "Compare the good run with"), radios);
  const status = h("p", { class: "fig-status widget-status", role: "status", "aria-live": "polite" });
  const error = h("p", { class: "fig-error widget-error", role: "alert", hidden: true });
  const area = h("div", { class: "fig-compare", "aria-live": "off" });
  const unknown = asked && first.name !== asked;
  const notice = h("p", { class: "fig-note", hidden: !unknown }, unknown ? `No recorded run is called “${asked}”; showing ${runTitle(first.name)}.` : "");

  let token = 0;
  let charts = null; // the shown comparison's charts, stopped when another run replaces them
  async function show(summary, remember) {
    const mine = ++token;
    if (remember) { writeParam(param, summary.name); notice.hidden = true; }
    el.dataset.phase = "loading";
    error.hidden = true;
    status.dataset.state = "loading";
    status.textContent = `Loading ${runTitle(summary.name)}…`;
    try {
      const run = await loadRun(ctx, summary);
      if (mine !== token) return;
      charts?.abort();
      charts = childController(ctx.signal);
      area.replaceChildren(...compare(good, run, charts.signal));
      status.dataset.state = "ready";
      status.textContent = `Showing ${runTitle(summary.name)} beside the good run.`;
      el.dataset.phase = "ready";
      el.dataset.shown = summary.name;
    } catch (err) {
      if (mine !== token) return;
      area.replaceChildren();
      status.dataset.state = "error";
      status.textContent = "";
      error.textContent = `${err.message} Choose the run again to retry.`;
      error.hidden = false;
      el.dataset.phase = "error";
    }
  }
  switcher.addEventListener("change", (ev) => {
    const r = choices.find((c) => c.name === ev.target.value);
    if (r) show(r, true);
  });
  show(first, false);
  return h("div", {}, switcher, notice, status, error, area);
}

function compare(good, run, signal) {
  const pair = [good, run];
  return [
    h("p", { class: "fig-what" }, h("strong", {}, `${runTitle(run.summary.name)}: `), run.summary.what || "(no description recorded)"),
    metricsTable(good, run),
    factsList(run, good),
    batchRow(pair, signal),
    epochLossRow(pair, signal),
    errorRow(pair, signal),
  ];
}

const ROWS = [
  { key: "valid_loss", label: "validation loss", get: (r) => r.summary.metrics.valid_loss, fmt: fmtLoss },
  { key: "valid_error_rate", label: "error rate", get: (r) => r.summary.metrics.valid_error_rate, fmt: (v) => fmtPct(v) },
  { key: "final_train_loss", label: "last epoch: training loss", get: (r) => r.summary.final.train_loss, fmt: fmtLoss },
  { key: "final_valid_loss", label: "last epoch: validation loss", get: (r) => r.summary.final.valid_loss, fmt: fmtLoss },
  { key: "epochs", label: "epochs", get: (r) => r.epochs.length, fmt: String },
  { key: "n_train", label: "training images", get: (r) => r.summary.metrics.n_train, fmt: String },
];

function metricsTable(good, run) {
  const cell = (row, r) => {
    const v = row.get(r);
    const ok = typeof v === "number" && Number.isFinite(v);
    return h("td", { dataset: { run: r.summary.name, key: row.key, value: ok ? String(v) : "" } }, ok ? row.fmt(v) : "—");
  };
  return h("div", { class: "fig-scroll" }, h("table", { class: "fig-metrics" },
    h("caption", {}, "Final numbers on the validation set"),
    h("thead", {}, h("tr", {}, h("td"), h("th", { scope: "col" }, `${runTitle(good.summary.name)} (good)`),
      h("th", { scope: "col" }, runTitle(run.summary.name)))),
    h("tbody", {}, ROWS.map((row) => h("tr", {}, h("th", { scope: "row" }, row.label), cell(row, good), cell(row, run))))));
}

function factsList(run, good) {
  const facts = runFacts(run, good);
  return facts.length ? h("ul", { class: "fig-facts" }, facts.map((f) => h("li", {}, f))) : h("p", { class: "fig-facts" }, "Nothing stands out in the numbers.");
}

// ------------------------------------------------------------------ the chart rows

/** y scale shared by both runs of a row: log when the values span decades. */
function sharedY(values, f, { percent = false } = {}) {
  if (!percent && wantsLog(values, SCALES.logWhenSpanOver, SCALES.lossFloor)) {
    return logScale(logDomain(values, SCALES.lossFloor), [f.bottom, f.top]);
  }
  return linearScale(zeroDomain(values, percent ? 0.1 : 0), [f.bottom, f.top]);
}

/** One row: a figure with a title, two panels (good | chosen) and notes. */
function pairRow(title, pair, height, signal, drawOne, extra = []) {
  const panels = pair.map((r, k) => {
    const host = h("div", { class: "fig-panel" });
    const head = h("p", { class: "fig-panel-title" }, k === 0 ? `${runTitle(r.summary.name)} (good)` : runTitle(r.summary.name));
    const { label, draw } = drawOne(r, k);
    responsiveSvg(host, { height, margin: CHART.margin, label, draw, signal });
    return h("div", { class: "fig-side", dataset: { run: r.summary.name } }, head, host);
  });
  return h("figure", { class: "fig-row" }, h("figcaption", { class: "fig-row-title" }, title), h("div", { class: "fig-pair" }, panels), extra);
}

function floorNote(values, y) {
  if (y.kind !== "log") return null;
  const low = finite(values).filter((v) => v <= y.domain[0]).length;
  return low ? h("p", { class: "fig-note" }, `${low} loss${low > 1 ? "es" : ""} at or below ${fmtTick(y.domain[0])} (some exactly 0) sit on the bottom edge of the log axis.`) : null;
}

/** Stages over 0-based indices drawn at 1-based positions (batch or epoch numbers). */
function stageMarks(g, stages, x, f) {
  stages.forEach((st, k) => {
    const x0 = x.map(st.start + 0.5), x1 = x.map(st.end + 1.5);
    if (k % 2 === 0) band(g, x0, x1, f, { class: "fig-stage-band" });
    if (k > 0) vRule(g, x0, f, { class: "fig-stage-rule" });
  });
}

function batchRow(pair, signal) {
  const all = pair.flatMap((r) => r.batches.rows.map((b) => b.loss));
  const maxN = Math.max(...pair.map((r) => r.batches.rows.length));
  const row = pairRow("Training loss per mini-batch", pair, CHART.wrongruns.height, signal, (r) => {
    const rows = r.batches.rows;
    const finiteLoss = finite(rows.map((b) => b.loss));
    return {
      label: `${runTitle(r.summary.name)}: training loss over ${rows.length} mini-batches, first ${fmtLoss(finiteLoss[0])}, last ${fmtLoss(finiteLoss[finiteLoss.length - 1])}, highest ${fmtLoss(Math.max(...finiteLoss))}`,
      draw(svg, f) {
        const x = linearScale([1, Math.max(maxN, 2)], [f.left, f.right]);
        const y = sharedY(all, f);
        axes(svg, f, { x, y, xFormat: fmtTick, yFormat: fmtTick, xTitle: "mini-batch", yTitle: y.kind === "log" ? "loss (log)" : "loss", xCount: 4, yCount: 4 });
        const g = clipped(svg, f);
        stageMarks(g, r.batches.stages, x, f);
        line(g, rows.map((b) => b.i + 1), rows.map((b) => b.loss), x, y, { class: "fig-train" });
        const bad = rows.filter((b) => b.loss === null);
        for (const b of bad) g.append(s("text", { class: "fig-diverged", x: x.map(b.i + 1), y: f.top + 10, "text-anchor": "middle" }, "×"));
      },
    };
  });
  const note = floorNote(all, sharedY(all, { top: 0, bottom: 1 }));
  if (note) row.append(note);
  return row;
}

function epochLossRow(pair, signal) {
  const all = pair.flatMap((r) => r.epochs.flatMap((e) => [e.train_loss, e.valid_loss]));
  const maxE = Math.max(...pair.map((r) => r.epochs.length), 1);
  const row = pairRow("Loss per epoch: training vs validation", pair, CHART.wrongruns.height, signal, (r) => {
    const eps = r.epochs;
    const last = eps[eps.length - 1];
    return {
      label: `${runTitle(r.summary.name)}: loss per epoch over ${eps.length} epochs; last epoch training ${fmtLoss(last?.train_loss)}, validation ${fmtLoss(last?.valid_loss)}`,
      draw(svg, f) {
        const x = linearScale([0.5, maxE + 0.5], [f.left, f.right]);
        const y = sharedY(all, f);
        axes(svg, f, { x, y, xFormat: fmtTick, yFormat: fmtTick, xTitle: "epoch", yTitle: y.kind === "log" ? "loss (log)" : "loss", xCount: Math.min(maxE, 5), yCount: 4 });
        const g = clipped(svg, f);
        stageMarks(g, epochStages(eps), x, f);
        const ns = eps.map((e) => e.n);
        const tip = (i) => `epoch ${eps[i].n} (${stageTitle(eps[i].stage)}): training ${fmtLoss(eps[i].train_loss)}, validation ${fmtLoss(eps[i].valid_loss)}`;
        line(g, ns, eps.map((e) => e.train_loss), x, y, { class: "fig-train" });
        line(g, ns, eps.map((e) => e.valid_loss), x, y, { class: "fig-valid" });
        dots(g, ns, eps.map((e) => e.train_loss), x, y, { class: "fig-train-dot" }, tip);
        dots(g, ns, eps.map((e) => e.valid_loss), x, y, { class: "fig-valid-dot" }, tip);
      },
    };
  }, [legend([{ label: "training loss", cls: "fig-train" }, { label: "validation loss", cls: "fig-valid" }])]);
  const note = floorNote(all, sharedY(all, { top: 0, bottom: 1 }));
  if (note) row.append(note);
  return row;
}

function errorRow(pair, signal) {
  const all = pair.flatMap((r) => r.epochs.map((e) => e.error_rate));
  const maxE = Math.max(...pair.map((r) => r.epochs.length), 1);
  return pairRow("Error rate per epoch (validation set)", pair, CHART.wrongruns.height, signal, (r) => {
    const eps = r.epochs;
    const errs = finite(eps.map((e) => e.error_rate));
    return {
      label: `${runTitle(r.summary.name)}: validation error rate per epoch, from ${fmtPct(errs[0])} to ${fmtPct(errs[errs.length - 1])}`,
      draw(svg, f) {
        const x = linearScale([0.5, maxE + 0.5], [f.left, f.right]);
        const y = sharedY(all, f, { percent: true });
        axes(svg, f, { x, y, xFormat: fmtTick, yFormat: (v) => `${Number((100 * v).toPrecision(3))}%`, xTitle: "epoch", yTitle: "error rate", xCount: Math.min(maxE, 5), yCount: 4 });
        const g = clipped(svg, f);
        stageMarks(g, epochStages(eps), x, f);
        const ns = eps.map((e) => e.n);
        line(g, ns, eps.map((e) => e.error_rate), x, y, { class: "fig-error-line" });
        dots(g, ns, eps.map((e) => e.error_rate), x, y, { class: "fig-error-dot" },
          (i) => `epoch ${eps[i].n} (${stageTitle(eps[i].stage)}): error rate ${fmtPct(eps[i].error_rate)}`);
      },
    };
  });
}
