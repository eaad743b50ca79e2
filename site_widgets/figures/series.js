// What the figures draw, shaped from the JSON the training scripts wrote. No DOM.
// Each function checks the fields it needs and throws a DataError naming the
// file and the field, so a malformed report gives the reader a clear message.
//
//   lrFindSeries(lr_find.json)      the range test: points, suggestion, minimum
//   scheduleSeries(report.json)     per batch: stage, epoch, lr per layer group, momentum, loss
//   epochSeries(report.json)        per epoch: train loss, valid loss, error rate

import { nearestIndex } from "./scales.js";

export class DataError extends Error {
  constructor(message) {
    super(message);
    this.name = "DataError";
  }
}

function need(ok, message) {
  if (!ok) throw new DataError(message);
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const isIndex = (v, n) => Number.isInteger(v) && v >= 0 && v < n;
/** A loss that is not a finite number (null in JSON: NaN or inf during training) means it diverged. */
const lossOrNull = (v) => (isNum(v) ? v : null);

function argmin(values) {
  let best = -1;
  values.forEach((v, i) => { if (v !== null && (best < 0 || v < values[best])) best = i; });
  return best;
}

// ------------------------------------------------------------------ lr finder

export function lrFindSeries(json, file = "lr_find.json") {
  need(json && typeof json === "object", `${file} should be an object.`);
  const { lrs, losses } = json;
  need(Array.isArray(lrs) && lrs.length >= 2, `${file}: "lrs" should list the learning rates tried.`);
  need(lrs.every((v) => isNum(v) && v > 0), `${file}: every entry of "lrs" should be a positive number.`);
  need(Array.isArray(losses) && losses.length === lrs.length,
    `${file}: "losses" should have one entry per learning rate (${lrs.length}).`);
  const smoothed = Array.isArray(json.smoothed) && json.smoothed.length === lrs.length ? json.smoothed : null;
  const points = lrs.map((lr, i) => ({
    i, lr, loss: lossOrNull(losses[i]), smoothed: smoothed ? lossOrNull(smoothed[i]) : null,
  }));
  const logLrs = lrs.map(Math.log10);
  const at = (i, lrRecorded) => (i < 0 ? null : { ...points[i], lrRecorded: isNum(lrRecorded) ? lrRecorded : lrs[i] });

  let si = isIndex(json.suggested_index, lrs.length) ? json.suggested_index : -1;
  if (si < 0 && isNum(json.suggested_lr) && json.suggested_lr > 0) si = nearestIndex(logLrs, Math.log10(json.suggested_lr));
  let mi = isIndex(json.min_index, lrs.length) ? json.min_index : -1;
  if (mi < 0) mi = argmin(points.map((p) => p.smoothed ?? p.loss));

  return {
    points,
    logLrs,
    suggested: at(si, json.suggested_lr),
    minimum: at(mi),
    minDiv10: isNum(json.min_lr_div10) ? json.min_lr_div10 : mi >= 0 ? lrs[mi] / 10 : null,
    stopped: typeof json.stopped === "string" ? json.stopped : "",
    stage: typeof json.stage === "string" ? json.stage : "",
    bs: isNum(json.bs) ? json.bs : null,
    hasSmoothed: !!smoothed,
  };
}

/** Index of the point nearest to a learning rate, in log space (as the axis is drawn). */
export const nearestLr = (series, lr) => nearestIndex(series.logLrs, Math.log10(lr));

// ------------------------------------------------------------------ per batch

function historyOf(report, file) {
  need(report && typeof report === "object", `${file} should be an object.`);
  const h = report.history;
  need(h && typeof h === "object", `${file}: "history" is missing.`);
  return h;
}

/** Consecutive runs of equal keys: [{key, start, end}] with end inclusive. */
export function segments(rows, keyOf) {
  const out = [];
  rows.forEach((row, i) => {
    const key = keyOf(row);
    const last = out[out.length - 1];
    if (last && last.key === key) last.end = i;
    else out.push({ key, start: i, end: i, row });
  });
  return out;
}

/** Names of the layer groups, earliest layers first, the head last. */
export function groupNames(count) {
  if (count === 1) return ["lr"];
  return Array.from({ length: count }, (_, g) =>
    g === count - 1 ? "head" : g === 0 ? "group 1 (first layers)" : `group ${g + 1}`);
}

export function scheduleSeries(report, file = "report.json") {
  const batches = historyOf(report, file).batches;
  need(Array.isArray(batches) && batches.length > 0, `${file}: "history.batches" should list the training batches.`);
  const rows = batches.map((b, i) => {
    need(b && typeof b === "object", `${file}: history.batches[${i}] should be an object.`);
    need(isNum(b.lr), `${file}: history.batches[${i}].lr should be a number.`);
    const lrs = Array.isArray(b.lrs) && b.lrs.length && b.lrs.every(isNum) ? b.lrs : [b.lr];
    return { i, stage: String(b.stage ?? ""), epoch: Number.isInteger(b.epoch) ? b.epoch : null,
      lr: b.lr, lrs, mom: isNum(b.mom) ? b.mom : null, loss: lossOrNull(b.loss) };
  });
  // Groups are aligned from the head: a stage that trains only the head has one lr, the head's.
  const nGroups = Math.max(...rows.map((r) => r.lrs.length));
  const groups = groupNames(nGroups).map((name, g) => ({
    name,
    values: rows.map((r) => r.lrs[r.lrs.length - nGroups + g] ?? null),
  }));
  return {
    rows,
    groups,
    stages: segments(rows, (r) => r.stage).map((s) => ({ stage: s.key, start: s.start, end: s.end })),
    epochs: segments(rows, (r) => `${r.stage}/${r.epoch}`)
      .map((s) => ({ stage: s.row.stage, epoch: s.row.epoch, start: s.start, end: s.end })),
    diverged: rows.filter((r) => r.loss === null).length,
  };
}

// ------------------------------------------------------------------ per epoch

export function epochSeries(report, file = "report.json") {
  const epochs = historyOf(report, file).epochs;
  need(Array.isArray(epochs), `${file}: "history.epochs" should list the epochs.`);
  return epochs.map((e, i) => {
    need(e && typeof e === "object", `${file}: history.epochs[${i}] should be an object.`);
    return { i, n: i + 1, stage: String(e.stage ?? ""), epoch: Number.isInteger(e.epoch) ? e.epoch : null,
      train_loss: lossOrNull(e.train_loss), valid_loss: lossOrNull(e.valid_loss),
      error_rate: isNum(e.error_rate) ? e.error_rate : null };
  });
}

/** Epoch stages as [{stage, start, end}] over epoch indices. */
export const epochStages = (epochs) => segments(epochs, (e) => e.stage).map((s) => ({ stage: s.key, start: s.start, end: s.end }));

/** "frozen" -> what the stage trained. */
export function stageTitle(stage) {
  if (stage === "frozen") return "head only (body frozen)";
  if (stage === "unfrozen") return "all layers (unfrozen)";
  return stage || "training";
}
