// The one-cycle schedules, replayed from <run>/report.json history.batches:
// learning rate (every layer group's in the unfrozen stage: discriminative
// learning rates), momentum and the loss, on one batch axis with the stages
// marked, and one cursor across the three panels.
//
// Data shaping: series.js (scheduleSeries); drawing: common/chart.js.
// The readout's data-index/-lr/-lrs/-mom/-loss/-stage/-epoch are for tests.

import { axes, bindCursor, band, childController, clipped, cursorMark, line, responsiveSvg, s, vRule } from "../common/chart.js";
import { h } from "../common/ui.js";
import { loadReport } from "./data.js";
import { fmtLoss, fmtLr, fmtNum, fmtTick } from "./format.js";
import { legend, plotHost, shell, showReadout } from "./frame.js";
import { extent, linearScale, logDomain, logScale, wantsLog, zeroDomain } from "./scales.js";
import { scheduleSeries, stageTitle } from "./series.js";
import { BASELINE, CHART, SCALES } from "./settings.js";

const SHORT = { frozen: "head only", unfrozen: "all layers" };
const shortStage = (stage) => SHORT[stage] || stage;

export async function mount(el, ctx) {
  const run = el.dataset.run || BASELINE;
  const ui = shell(el, "fig-onecycle", "Loading the training schedule…");
  await ui.load(async (body) => {
    const report = await loadReport(ctx, run, "report.json");
    const sched = scheduleSeries(report, `${run}/report.json`);
    const what = report.experiment && typeof report.experiment.what === "string" ? report.experiment.what : "";
    body.replaceChildren(view(sched, what, ctx.signal));
  });
}

/** The schedules' figure for a history computed elsewhere (the in-browser trainer, live):
 *  `report` has report.json's history.batches; what: a sentence about the run. */
export function scheduleFigure(report, what, signal) {
  return view(scheduleSeries(report, "the training history"), what, signal);
}

/** The three panels: what each plots and how its y axis is chosen. */
function panels(sched, lrLog) {
  const rows = sched.rows;
  const lrValues = sched.groups.flatMap((g) => g.values);
  const losses = rows.map((r) => r.loss);
  const lossLog = wantsLog(losses, SCALES.logWhenSpanOver, SCALES.lossFloor);
  const moms = rows.map((r) => r.mom);
  const out = [{
    key: "lr", title: lrLog ? "learning rate (log)" : "learning rate",
    series: sched.groups.map((g, k) => ({ values: g.values, cls: `fig-s${sched.groups.length - k}` })),
    y: (f) => (lrLog ? logScale(logDomain(lrValues, 0), [f.bottom, f.top]) : linearScale(zeroDomain(lrValues), [f.bottom, f.top])),
    format: fmtTick,
  }];
  const me = extent(moms);
  if (me) {
    out.push({
      key: "mom", title: "momentum", series: [{ values: moms, cls: "fig-mom" }],
      y: (f) => linearScale([me[0] - 0.01, me[1] + 0.01], [f.bottom, f.top]), format: fmtTick,
    });
  }
  out.push({
    key: "loss", title: lossLog ? "loss (log)" : "loss", series: [{ values: losses, cls: "fig-loss" }],
    y: (f) => (lossLog ? logScale(logDomain(losses, SCALES.lossFloor), [f.bottom, f.top]) : linearScale(zeroDomain(losses), [f.bottom, f.top])),
    format: fmtTick,
  });
  return out;
}

function caption(sched, what) {
  const n = sched.rows.length;
  const stages = sched.stages.map((st) => {
    const eps = sched.epochs.filter((e) => e.start >= st.start && e.end <= st.end).length;
    return `${stageTitle(st.stage)}: batches ${st.start + 1}–${st.end + 1} (${eps} epoch${eps > 1 ? "s" : ""})`;
  });
  const parts = [`The schedules recorded for each of ${n} mini-batches. ${stages.join("; ")}.`];
  if (sched.groups.length > 1) {
    const peaks = sched.groups.map((g) => `${g.name} ${fmtLr(Math.max(...g.values.filter((v) => v !== null)))}`);
    parts.push(`When all layers train, each of the ${sched.groups.length} layer groups has its own learning rate (discriminative learning rates; peaks: ${peaks.join(", ")}).`);
  }
  const me = extent(sched.rows.map((r) => r.mom));
  if (me) parts.push(`Momentum moves between ${fmtNum(me[0], 2)} and ${fmtNum(me[1], 2)}.`);
  if (sched.diverged) parts.push(`${sched.diverged} batch losses were not a number (gaps).`);
  if (what) parts.push(`Run: ${what}`);
  return parts.join(" ");
}

function readoutText(sched, i) {
  const r = sched.rows[i];
  const lrs = sched.groups.length > 1
    ? `lr: ${sched.groups.map((g) => `${g.name.replace(/ \(.*\)/, "")} ${g.values[i] === null ? "frozen" : fmtLr(g.values[i])}`).join(", ")}`
    : `lr ${fmtLr(r.lr)}`;
  const epoch = r.epoch === null ? "" : `, epoch ${r.epoch + 1}`;
  return `batch ${i + 1} of ${sched.rows.length} · ${shortStage(r.stage)}${epoch} · ${lrs} · momentum ${fmtNum(r.mom)} · loss ${fmtLoss(r.loss)}`;
}

/** Draw one panel (lr, momentum or loss) over the batch axis; returns its scales and cursor. */
function drawPanel(svg, f, sched, p, last) {
  const n = sched.rows.length;
  const x = linearScale([1, Math.max(n, 2)], [f.left, f.right]);
  const y = p.y(f);
  axes(svg, f, { x, y, xFormat: fmtTick, yFormat: p.format, xTitle: last ? "mini-batch" : null, yTitle: p.title, xAxis: last, yCount: 3 });
  const g = clipped(svg, f);
  sched.stages.forEach((st, k) => {
    const x0 = x.map(st.start + 0.5), x1 = x.map(st.end + 1.5);
    if (k % 2 === 0) band(g, x0, x1, f, { class: "fig-stage-band" });
    if (k > 0) vRule(g, x0, f, { class: "fig-stage-rule" });
    if (p.key === "lr" && x1 - x0 > 60) g.append(s("text", { class: "fig-stage-label", x: Math.max(x0, f.left) + 4, y: f.top + 11 }, shortStage(st.stage)));
  });
  for (const e of sched.epochs) if (e.start > 0) vRule(g, x.map(e.start + 0.5), f, { class: "fig-epoch-rule" });
  const xs = sched.rows.map((r) => r.i + 1); // batch numbers, 1-based as the reader counts
  for (const sr of p.series) line(g, xs, sr.values, x, y, { class: sr.cls });
  return { x, y, cursor: cursorMark(g, f, p.series.length), series: p.series };
}

function view(sched, what, signal) {
  const rows = sched.rows;
  const n = rows.length;
  const plot = plotHost("Cursor on the schedules: arrow keys move it batch by batch", n);
  const readout = h("p", { class: "fig-readout" });
  const state = { lrLog: true, drawn: new Map(), frame: null, control: null, charts: null };

  const drawer = (p, last) => (svg, f) => {
    state.frame = f;
    state.drawn.set(p.key, drawPanel(svg, f, sched, p, last));
    if (state.control) place(state.control.index);
  };

  const stack = h("div", { class: "fig-stack" });
  function build() {
    state.charts?.abort(); // the panels drawn before (other y scale) stop redrawing
    state.charts = childController(signal);
    stack.replaceChildren();
    plot.replaceChildren(stack);
    state.drawn.clear();
    const ps = panels(sched, state.lrLog);
    ps.forEach((p, k) => {
      const last = k === ps.length - 1;
      const host = h("div", { class: "fig-panel" });
      stack.append(host);
      const height = CHART.onecycle.panelHeight + (last ? CHART.onecycle.axisHeight : 0);
      responsiveSvg(host, { height, margin: { ...CHART.margin, bottom: last ? CHART.margin.bottom : 8 }, label: p.title,
        draw: drawer(p, last), signal: state.charts.signal });
    });
  }

  function place(i) {
    for (const d of state.drawn.values()) {
      d.cursor.move(d.x.map(i + 1), d.series.map((sr) => (sr.values[i] === null ? NaN : d.y.map(sr.values[i]))));
      d.cursor.node.dataset.index = String(i);
    }
  }

  build();
  state.control = bindCursor(plot, {
    count: n,
    pageStep: CHART.pageStep,
    indexAt(clientX) {
      const d = state.drawn.get("lr");
      if (!d || !state.frame) return null;
      const px = clientX - stack.getBoundingClientRect().left;
      const f = state.frame;
      if (px < f.left - 12 || px > f.right + 12) return null;
      return Math.round(d.x.invert(Math.min(Math.max(px, f.left), f.right))) - 1;
    },
    onChange(i) {
      const r = rows[i];
      showReadout(plot, readout, i, readoutText(sched, i),
        { lr: r.lr, lrs: JSON.stringify(r.lrs), mom: r.mom, loss: r.loss, stage: r.stage, epoch: r.epoch });
      place(i);
    },
  });

  const toggle = h("button", { type: "button", class: "md-button fig-toggle", "aria-pressed": "true" }, "Learning rate on a log scale");
  toggle.addEventListener("click", () => {
    state.lrLog = !state.lrLog;
    toggle.setAttribute("aria-pressed", String(state.lrLog));
    build();
  });

  return h("figure", { class: "fig-figure" },
    h("div", { class: "fig-controls" }, toggle),
    plot,
    readout,
    legend([
      ...sched.groups.map((g, k) => ({ label: sched.groups.length > 1 ? `lr, ${g.name}` : "learning rate", cls: `fig-s${sched.groups.length - k}` })),
      ...(extent(rows.map((r) => r.mom)) ? [{ label: "momentum", cls: "fig-mom" }] : []),
      { label: "loss per batch", cls: "fig-loss" },
    ]),
    h("figcaption", { class: "fig-caption" }, caption(sched, what), " ",
      h("span", { class: "fig-hint" }, "Point at the panels, or focus them and use the arrow keys, Home and End, to read any batch.")));
}
