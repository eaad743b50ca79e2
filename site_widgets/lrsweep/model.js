// The learning-rate sweep, shaped for drawing: sweep.json (training/bears/lr_sweep.py)
// checked field by field, the swept run nearest to a learning rate, the readout's words,
// and the widget's state <-> the page address. No DOM: the tests run it in Node.
//
//   sweepSeries(sweep.json)        runs [{i, lr, diverged, batchLoss, epochs, final}], best runs, the finder's readings
//   nearestRun(sweep, lr)          index of the swept run nearest to lr (on a log scale, as the axis is drawn)
//   runNote(sweep, i), readoutText(sweep, i)
//   readState(get, sweep, prefix)  {state: {run, stage}, notes} from ?lr=...&stage=...; writeState back

import { DataError } from "../figures/series.js";
import { fmtLoss, fmtLr, fmtPct } from "../figures/format.js";
import { nearestIndex } from "../figures/scales.js";

export const STAGES = ["head", "unfrozen"]; // the sweep with the head's finder | the whole network's finder
export const PARAMS = { lr: "lr", stage: "stage" };

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const lossOrNull = (v) => (isNum(v) ? v : null);

function need(ok, message) {
  if (!ok) throw new DataError(message);
}

function shapeRun(r, k, file, nValid) {
  const where = `${file}: runs[${k}]`;
  need(r && typeof r === "object", `${where} should be an object.`);
  need(isNum(r.lr) && r.lr > 0, `${where}.lr should be a positive number.`);
  need(Array.isArray(r.batch_loss), `${where}.batch_loss should list the loss of every batch.`);
  need(Array.isArray(r.epochs), `${where}.epochs should list the epochs.`);
  const epochs = r.epochs.map((e, j) => {
    need(e && typeof e === "object", `${where}.epochs[${j}] should be an object.`);
    return { epoch: Number.isInteger(e.epoch) ? e.epoch : j, train_loss: lossOrNull(e.train_loss),
      valid_loss: lossOrNull(e.valid_loss), error_rate: isNum(e.error_rate) ? e.error_rate : null };
  });
  const diverged = r.diverged === true;
  let final = null;
  if (!diverged) {
    const f = r.final;
    need(f && isNum(f.valid_loss) && isNum(f.error_rate),
      `${where}.final should give the run's last valid_loss and error_rate (or the run should say "diverged": true).`);
    final = { valid_loss: f.valid_loss, error_rate: f.error_rate, train_loss: lossOrNull(f.train_loss),
      n_wrong: Number.isInteger(f.n_wrong) ? f.n_wrong : Math.round(f.error_rate * nValid) };
  }
  return { i: k, lr: r.lr, diverged, batchLoss: r.batch_loss.map(lossOrNull), epochs, final };
}

/** Index of the run with the lowest final `key` (the lower lr on a tie), or -1. */
function bestIndex(runs, key) {
  let best = -1;
  runs.forEach((r, k) => {
    if (r.final && (best < 0 || r.final[key] < runs[best].final[key])) best = k;
  });
  return best;
}

export function sweepSeries(json, file = "sweep.json") {
  need(json && typeof json === "object" && !Array.isArray(json), `${file} should be an object.`);
  need(Array.isArray(json.runs) && json.runs.length >= 2, `${file}: "runs" should list the swept runs (at least two).`);
  need(isNum(json.steps_per_epoch) && json.steps_per_epoch > 0, `${file}: "steps_per_epoch" should be a positive number.`);
  const counts = json.valid_counts && typeof json.valid_counts === "object" ? Object.values(json.valid_counts) : [];
  need(counts.length && counts.every(Number.isInteger), `${file}: "valid_counts" should give the validation photos per label.`);
  const nValid = counts.reduce((a, b) => a + b, 0);
  const runs = json.runs.map((r, k) => shapeRun(r, k, file, nValid));
  runs.forEach((r, k) => need(k === 0 || r.lr > runs[k - 1].lr, `${file}: the runs should be in increasing lr order (runs[${k}]).`));
  const finder = json.finder && typeof json.finder === "object" ? json.finder : {};
  return {
    runs,
    logLrs: runs.map((r) => Math.log10(r.lr)),
    nValid,
    stepsPerEpoch: json.steps_per_epoch,
    nEpochs: Math.max(...runs.map((r) => r.epochs.length)),
    what: typeof json.what === "string" ? json.what : "",
    best: { valid_loss: bestIndex(runs, "valid_loss"), error_rate: bestIndex(runs, "error_rate") },
    nearBest: nearBestOf(json.near_best),
    steepest: isNum(finder.suggested_lr) ? finder.suggested_lr : null,
    minDiv10: isNum(finder.min_lr_div10) ? finder.min_lr_div10 : null,
    finderFile: reportName(finder.file, `${file}: "finder.file"`),
    unfrozenFile: json.unfrozen_finder === null || json.unfrozen_finder === undefined ? null
      : reportName(json.unfrozen_finder, `${file}: "unfrozen_finder"`),
  };
}

/** {factor, lo, hi}: the lrs whose runs ended near the best (null when not recorded). */
function nearBestOf(v) {
  const ok = v && typeof v === "object" && [v.factor, v.lo, v.hi].every(isNum) && v.lo > 0 && v.hi >= v.lo;
  return ok ? { factor: v.factor, lo: v.lo, hi: v.hi } : null;
}

/** A report file as sweep.json names it: RUN/FILE.json under the reports folder, nothing else. */
function reportName(v, where) {
  need(typeof v === "string" && /^[\w.-]+\/[\w.-]+\.json$/.test(v) && !v.includes(".."),
    `${where} should name a report file as run/file.json.`);
  return v;
}

/** "lr_sweep/lr_find_unfrozen.json" -> ["lr_sweep", "lr_find_unfrozen.json"] */
export const splitReport = (name) => [name.slice(0, name.indexOf("/")), name.slice(name.indexOf("/") + 1)];

/** The swept run nearest to `lr` on a log scale. */
export const nearestRun = (sweep, lr) => nearestIndex(sweep.logLrs, Math.log10(lr));

/** What is special about run i: lowest validation loss, nearest the finder's readings. */
export function runNote(sweep, i) {
  const notes = [];
  if (sweep.best.valid_loss === i) notes.push("lowest validation loss of the sweep");
  if (sweep.best.error_rate === i && sweep.best.valid_loss !== i) notes.push("lowest error rate of the sweep");
  if (sweep.steepest !== null && nearestRun(sweep, sweep.steepest) === i) notes.push(`nearest the finder's steepest point (${fmtLr(sweep.steepest)})`);
  if (sweep.minDiv10 !== null && nearestRun(sweep, sweep.minDiv10) === i) notes.push(`nearest “minimum ÷ 10” (${fmtLr(sweep.minDiv10)})`);
  return notes;
}

/** The readout for run i: where training at that lr ended. */
export function readoutText(sweep, i) {
  const r = sweep.runs[i];
  const head = `max_lr ${fmtLr(r.lr)}`;
  const notes = runNote(sweep, i);
  const tail = notes.length ? ` — ${notes.join("; ")}` : "";
  if (!r.final) {
    const at = r.batchLoss.length;
    return `${head} · diverged: the loss was not a number at batch ${at} of ${sweep.nEpochs * sweep.stepsPerEpoch}${tail}`;
  }
  const f = r.final;
  return `${head} · after ${r.epochs.length} epochs: error ${fmtPct(f.error_rate)} (${f.n_wrong} of ${sweep.nValid} wrong)` +
    ` · valid loss ${fmtLoss(f.valid_loss)} · train loss ${fmtLoss(f.train_loss)}${tail}`;
}

/** The start: the lowest-validation-loss run, else the first. */
export const startRun = (sweep) => (sweep.best.valid_loss >= 0 ? sweep.best.valid_loss : 0);

/** The names of the parameters with a page's prefix (two widgets on one page: data-url-prefix). */
export const paramNames = (prefix = "") => ({ lr: `${prefix}${PARAMS.lr}`, stage: `${prefix}${PARAMS.stage}` });

/** An lr as the address writes it: plain decimals down to 1e-6 (0.003, 0.00001, 10), so a teacher can read the link. */
export const lrText = (lr) => {
  const v = Number(lr.toPrecision(6));
  return v >= 1e-6 && v < 1e21 ? v.toFixed(Math.max(0, -Math.floor(Math.log10(v)) + 5)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "") : String(v);
};

/**
 * {state: {run, stage}, notes} from get(name) (a URL parameter or null): ?lr=1.5 shows the
 * swept run nearest to 1.5; a value that is not a positive number, or a stage that is not
 * head/unfrozen, is replaced and `notes` says so.
 */
export function readState(get, sweep, prefix = "") {
  const names = paramNames(prefix);
  const notes = [];
  const state = { run: startRun(sweep), stage: "head" };
  const rawLr = get(names.lr);
  if (rawLr !== null) {
    const v = Number(rawLr);
    if (rawLr.trim() === "" || !isNum(v) || v <= 0) {
      notes.push(`lr “${rawLr}” is not a positive number; showing max_lr ${fmtLr(sweep.runs[state.run].lr)}.`);
    } else {
      state.run = nearestRun(sweep, v);
      const lr = sweep.runs[state.run].lr;
      if (Math.abs(Math.log10(lr / v)) > 1e-6) notes.push(`No run was trained at lr ${rawLr}; showing the nearest swept run, max_lr ${fmtLr(lr)}.`);
    }
  }
  const rawStage = get(names.stage);
  if (rawStage !== null) {
    if (STAGES.includes(rawStage)) state.stage = rawStage;
    else notes.push(`stage “${rawStage}” is not one of ${STAGES.join(", ")}; showing the head.`);
  }
  return { state, notes };
}

/** The address parameters for a state: [[name, value or null (removed)], ...]. */
export function writeState(sweep, state, prefix = "") {
  const names = paramNames(prefix);
  return [[names.lr, lrText(sweep.runs[state.run].lr)], [names.stage, state.stage === "head" ? null : state.stage]];
}

/** The training curves of every run for the lower chart: x = batch number (1-based), y = loss;
 *  the validation loss at each epoch's last batch. */
export function curves(sweep) {
  const steps = sweep.stepsPerEpoch;
  return sweep.runs.map((r) => ({
    i: r.i,
    batches: r.batchLoss.map((loss, b) => [b + 1, loss]),
    valid: r.epochs.map((e) => [(e.epoch + 1) * steps, e.valid_loss]),
  }));
}
