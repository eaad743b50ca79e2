// The learning-rate finder, replayed from <run>/lr_find.json: loss against a
// learning rate that grows every mini-batch (log axis). The suggestion is where
// the smoothed loss falls fastest, well left of its minimum: the lesson's point is
// to read the steepest slope, not the bottom of the curve.
//
// Data shaping: series.js (lrFindSeries, nearestLr); drawing: common/chart.js.
// The readout's data-index/-lr/-loss/-smoothed and the suggestion mark's
// data-lr/-index are there for tests and curious readers.

import { axes, bindCursor, clipped, cursorMark, dots, label, line, responsiveSvg, s, vRule } from "../common/chart.js";
import { h } from "../common/ui.js";
import { loadReport } from "./data.js";
import { fmtLoss, fmtLr, fmtTick } from "./format.js";
import { legend, plotHost, shell, showReadout } from "./frame.js";
import { linearScale, logScale } from "./scales.js";
import { lrFindSeries, nearestLr } from "./series.js";
import { BASELINE, CHART, SCALES } from "./settings.js";

export async function mount(el, ctx) {
  const run = el.dataset.run || BASELINE;
  const file = el.dataset.file || "lr_find.json";
  const ui = shell(el, "fig-lrfind", "Loading the learning-rate finder's recording…");
  await ui.load(async (body) => {
    const series = lrFindSeries(await loadReport(ctx, run, file), `${run}/${file}`);
    body.replaceChildren(view(series, ctx.signal));
  });
}

/** The finder's figure for a curve computed elsewhere (the in-browser trainer): `json` has
 *  lr_find.json's fields. onPick(lr): the reader clicked the curve or pressed Enter on it;
 *  picked: an lr to mark as chosen. */
export function lrFindFigure(json, signal, { onPick = null, picked = null } = {}) {
  return view(lrFindSeries(json, "the learning-rate finder"), signal, { onPick, picked });
}

function yDomainTop(series) {
  const sm = series.points.map((p) => p.smoothed).filter((v) => v !== null);
  const ref = sm.length ? sm : series.points.map((p) => p.loss).filter((v) => v !== null);
  return Math.max(...ref) * SCALES.lrFindHeadroom;
}

function caption(series, top) {
  const p = series.points;
  const { suggested: sug, minimum: min } = series;
  const parts = [
    `The learning-rate finder${series.stage ? ` on the ${series.stage}` : ""}: ${p.length} mini-batches` +
      `${series.bs ? ` of ${series.bs} images` : ""}, the learning rate growing from ${fmtLr(p[0].lr)} to ${fmtLr(p[p.length - 1].lr)}` +
      `${series.stopped ? `; stopped: ${series.stopped}` : ""}.`,
  ];
  if (sug) parts.push(`The smoothed loss falls fastest at lr = ${fmtLr(sug.lrRecorded)} (step ${sug.i + 1}): that is the suggestion, marked “steepest”.`);
  if (min) {
    const ratio = sug ? `, ${Math.round(min.lr / sug.lr)}× higher, where the loss is about to blow up` : "";
    parts.push(`The loss is lowest at lr = ${fmtLr(min.lr)}${ratio}${series.minDiv10 ? `; the rule “minimum ÷ 10” gives ${fmtLr(series.minDiv10)}` : ""}.`);
  }
  const off = p.filter((q) => q.loss !== null && q.loss > top).length;
  const bad = p.filter((q) => q.loss === null).length;
  if (off) parts.push(`${off} raw loss${off > 1 ? "es are" : " is"} above ${fmtLoss(top)}, off the top of the chart.`);
  if (bad) parts.push(`${bad} loss${bad > 1 ? "es were" : " was"} not a number (diverged).`);
  return parts.join(" ");
}

/** The marks of the suggestion (steepest slope) and the minimum, and the gap between them. */
function markPoints(svg, g, f, x, y, { suggested: sug, minimum: min }) {
  if (min) {
    const mx = x.map(min.lr);
    vRule(g, mx, f, { class: "fig-min-rule" });
    dots(g, [min.lr], [min.smoothed ?? min.loss], x, y, { class: "fig-min" });
    label(svg, mx, f.top + 30, `minimum ${fmtLr(min.lr)}`, f, { class: "fig-min-label" });
  }
  if (!sug) return;
  const sx = x.map(sug.lr);
  vRule(g, sx, f, { class: "fig-suggest-rule" });
  const mark = dots(g, [sug.lr], [sug.smoothed ?? sug.loss], x, y, { class: "fig-suggest" });
  mark.dataset.lr = String(sug.lrRecorded);
  mark.dataset.index = String(sug.i);
  label(svg, sx, f.top + 13, `steepest ${fmtLr(sug.lrRecorded)}`, f, { class: "fig-suggest-label" });
  if (min && min.i > sug.i) {
    const mx = x.map(min.lr), yb = f.top + 46;
    svg.append(s("path", { class: "fig-gap", d: `M${sx},${yb - 4}V${yb}H${mx}V${yb - 4}` }),
      s("text", { class: "fig-gap-label", x: (sx + mx) / 2, y: yb + 13, "text-anchor": "middle" },
        `${Math.round(min.lr / sug.lr)}× lower`));
  }
}

/** Draw the finder into svg; returns its scales and the cursor. */
function drawFinder(svg, f, series, top, picked = null) {
  const pts = series.points;
  const lrs = pts.map((p) => p.lr);
  const x = logScale([lrs[0], lrs[lrs.length - 1]], [f.left, f.right]);
  const y = linearScale([0, top], [f.bottom, f.top]);
  axes(svg, f, { x, y, xFormat: fmtTick, yFormat: fmtTick, xTitle: "learning rate (log scale)", yTitle: "loss" });
  const g = clipped(svg, f);
  line(g, lrs, pts.map((p) => p.loss), x, y, { class: "fig-raw" });
  if (series.hasSmoothed) line(g, lrs, pts.map((p) => p.smoothed), x, y, { class: "fig-smooth" });
  markPoints(svg, g, f, x, y, series);
  if (picked) {
    vRule(g, x.map(picked), f, { class: "fig-picked-rule", "data-lr": String(picked) });
    label(svg, x.map(picked), f.bottom - 8, `your pick ${fmtLr(picked)}`, f, { class: "fig-picked-label" });
  }
  return { x, y, frame: f, cursor: cursorMark(g, f, 2) };
}

function readoutText(series, i) {
  const p = series.points[i];
  const { suggested: sug, minimum: min } = series;
  const note = sug && i === sug.i ? " — the suggestion (steepest)" : min && i === min.i ? " — the minimum" : "";
  return `lr ${fmtLr(p.lr)} · loss ${fmtLoss(p.loss)}` +
    `${series.hasSmoothed ? ` · smoothed ${fmtLoss(p.smoothed)}` : ""} · step ${i + 1} of ${series.points.length}${note}`;
}

function view(series, signal, { onPick = null, picked = null } = {}) {
  const pts = series.points;
  const n = pts.length;
  const top = yDomainTop(series);
  const { suggested: sug, minimum: min } = series;
  const plot = plotHost("Cursor on the learning-rate finder: arrow keys move it", n);
  const readout = h("p", { class: "fig-readout" });
  let drawn = null, control = null;

  const place = (i) => {
    if (!drawn) return;
    const p = pts[i];
    const { x, y, cursor } = drawn;
    cursor.move(x.map(p.lr), [p.loss === null ? NaN : y.map(p.loss), p.smoothed === null ? NaN : y.map(p.smoothed)]);
    cursor.node.dataset.index = String(i);
  };
  const chart = responsiveSvg(plot, {
    height: CHART.lrfind.height, margin: CHART.margin, label: "", signal,
    draw(svg, f) {
      drawn = drawFinder(svg, f, series, top, picked);
      if (control) place(control.index);
    },
  });
  chart.setLabel(caption(series, top));

  control = bindCursor(plot, {
    count: n,
    start: sug ? sug.i : 0,
    pageStep: CHART.pageStep,
    indexAt(clientX) {
      if (!drawn) return null;
      const { frame, x } = drawn;
      const px = clientX - chart.svg.getBoundingClientRect().left;
      if (px < frame.left - 12 || px > frame.right + 12) return null;
      return nearestLr(series, x.invert(Math.min(Math.max(px, frame.left), frame.right)));
    },
    onChange(i) {
      const p = pts[i];
      showReadout(plot, readout, i, readoutText(series, i), { lr: p.lr, loss: p.loss, smoothed: p.smoothed });
      place(i);
    },
  });
  if (onPick) {
    plot.addEventListener("click", () => onPick(pts[control.index].lr));
    plot.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); onPick(pts[control.index].lr); } });
  }

  return h("figure", { class: "fig-figure" },
    plot,
    readout,
    legend([
      { label: "loss per mini-batch", cls: "fig-raw" },
      ...(series.hasSmoothed ? [{ label: "smoothed", cls: "fig-smooth" }] : []),
      ...(sug ? [{ label: "steepest slope: the suggestion", cls: "fig-suggest-rule" }] : []),
      ...(min ? [{ label: "minimum", cls: "fig-min-rule" }] : []),
    ]),
    h("figcaption", { class: "fig-caption" }, caption(series, top), " ",
      h("span", { class: "fig-hint" }, "Point at the chart, or focus it and use the arrow keys, Home and End, to read any step.")));
}
