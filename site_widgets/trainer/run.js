// The lesson's steps on the reader's activations, composed from the trainer core (no DOM):
// data sets from the split, the learning-rate finder, one-cycle training of a fresh head,
// interpretation of the validation set, out-of-fold suspects for cleaning, and the cleaned
// data after the reader's marks. Every function takes what it needs and returns plain data;
// state.js decides when each runs and the view draws the results.

import { dataset, subset } from "./data.js";
import { cleanedCsv, headJson } from "./exportHead.js";
import { fitOneCycle } from "./fit.js";
import { linearHead, predict } from "./head.js";
import { interpretation } from "./interpret.js";
import { lrFind } from "./lrfind.js";
import { outOfFold, suspects } from "./oof.js";
import { SETTINGS } from "./settings.js";
import { split as makeSplit } from "./split.js";

/** items (intake.js, with final labels) -> the split, as training/bears/data.py's split makes it. */
export function splitItems(items, { validPct, seed } = SETTINGS.split) {
  return makeSplit(items.map((it) => it.file), items.map((it) => it.label), { validPct, seed });
}

/** The activations of `items` as data sets: all, train and valid (rows in items' order). */
export function dataSets(items, split, features, nFeatures) {
  const F = nFeatures;
  const feats = new Float32Array(items.length * F);
  items.forEach((it, i) => feats.set(features.get(it.sha256), i * F));
  const all = dataset(feats, items.map((it) => split.classes.indexOf(it.label)), F);
  return { all, train: subset(all, split.train), valid: subset(all, split.valid) };
}

/** The range test on a fresh head (seeded like the fit), as `python -m training.bears lr-find` runs it. */
export function findLr(train, nLabels, { onStep, signal } = {}) {
  const { bs, wd, dropout, seed } = SETTINGS.fit;
  const head = linearHead(train.nFeatures, nLabels, { seed });
  return lrFind(head, { train, bs, wd, dropout, seed, ...SETTINGS.lrFind, onStep, signal });
}

// --8<-- [start:fit]
/** A fresh head trained with one cycle on the activations: the lesson's fit_one_cycle(epochs, max_lr). */
export async function fitHead(train, valid, nLabels, { epochs, maxLr, onBatch, onEpoch, signal }) {
  const { bs, wd, dropout, pctStart, seed } = SETTINGS.fit;
  const head = linearHead(train.nFeatures, nLabels, { seed });
  const t0 = performance.now();
  const history = await fitOneCycle(head, { train, valid, epochs, maxLr, bs, wd, dropout, pctStart, seed,
    onBatch, onEpoch, signal });
  return { head, history, seconds: (performance.now() - t0) / 1000 };
}
// --8<-- [end:fit]

/** The head on the validation photos: interpret.js's interpretation, with every photo's index. */
export function interpretValid(head, valid, items, split) {
  const res = interpretOn(head, valid, items, split);
  // r.item: the photo's index among the photos brought (cleaned items remember theirs in `was`)
  const byFile = new Map(split.valid.map((i) => [items[i].file, items[i].was ?? i]));
  res.top_losses.forEach((r) => { r.item = byFile.get(r.file); });
  return res;
}

/** interpret.js's interpretation of `head` on the validation rows `valid` of items/split. */
export function interpretOn(head, valid, items, split) {
  const logp = predict(head, valid.feats, valid.n);
  return interpretation(logp, valid.ys, split.valid.map((i) => items[i].file), split.classes);
}

/** Every photo judged by a head that never saw it, worst first, as a top-losses list the
 *  cleaner reads (loss = -log p(label), out of fold). */
export async function suspectList(all, items, classes, { signal, onFold } = {}) {
  const { epochs, maxLr, bs, dropout } = SETTINGS.fit;
  const res = await outOfFold(all, { k: SETTINGS.oof.k, nLabels: classes.length, seed: SETTINGS.fit.seed,
    fit: { epochs, maxLr, bs, dropout }, signal, onFold });
  const rows = suspects(res.probs, all.ys, classes).map((r) => ({
    file: items[r.index].file, label: r.label, pred: r.pred, prob_pred: r.prob_pred, prob_label: r.prob_label,
    loss: -Math.log(Math.max(r.prob_label, 1e-12)), suspect: r.suspect,
  }));
  return { on: "all", classes: [...classes], top_losses: rows };
}

/**
 * The photos after the reader's marks (file -> {action, label}): deleted ones out, relabelled
 * ones with their new label, each on the side of the split it was on (so the validation set
 * before and after differ only by the marks). -> {items, split}
 */
export function applyMarks(items, split, marks) {
  const side = new Map(split.valid.map((i) => [i, "valid"]));
  const kept = [];
  items.forEach((it, i) => {
    const m = marks.get(it.file);
    if (m?.action === "delete") return;
    kept.push({ ...it, label: m?.action === "relabel" ? m.label : it.label, was: i, side: side.get(i) ?? "train" });
  });
  const classes = [...split.classes];
  const pick = (s) => kept.map((it, j) => (it.side === s ? j : -1)).filter((j) => j >= 0);
  return { items: kept, split: { train: pick("train"), valid: pick("valid"), classes } };
}

/** head.json for a trained head (exportHead.js), with how it was trained and how it did. */
export function headFile(head, classes, body, { epochs, maxLr, history, split, interp }) {
  const last = history.epochs[history.epochs.length - 1] || {};
  return headJson({ head, labels: classes, body,
    training: { by: "the in-browser trainer (site_widgets/trainer/)", epochs, max_lr: maxLr, ...SETTINGS.fit,
      n_train: split.train.length, n_valid: split.valid.length, seed: SETTINGS.split.seed, valid_pct: SETTINGS.split.validPct },
    metrics: { accuracy: interp?.accuracy ?? last.accuracy ?? null, error_rate: interp?.error_rate ?? last.error_rate ?? null,
      valid_loss: interp?.loss ?? last.valid_loss ?? null, n_valid: split.valid.length } });
}

/** run.json: what the head was trained on and how, for the Python pipeline and for the record. */
export function runFile(s) {
  const run = s.after ?? s.fit;
  const valid = new Set(s.split.valid);
  return {
    format: "lesson2-trainer-run/1",
    body: s.body.describe,
    labels: [...s.split.classes],
    split: { seed: SETTINGS.split.seed, valid_pct: SETTINGS.split.validPct, train: s.split.train.length, valid: s.split.valid.length },
    photos: s.photos.map((p, i) => ({ file: p.file, label: p.label, sha256: p.sha256, split: valid.has(i) ? "valid" : "train" })),
    lr_find: s.lr ? { suggested_lr: s.lr.suggested_lr, min_lr_div10: s.lr.min_lr_div10, picked: s.picked } : null,
    fit: { epochs: run.epochs, max_lr: run.maxLr, ...SETTINGS.fit, seconds: run.seconds, history: run.history },
    metrics: { error_rate: run.interp.error_rate, accuracy: run.interp.accuracy, valid_loss: run.interp.loss, n_wrong: run.interp.n_wrong },
    confusion: run.interp.confusion,
    valid_predictions: run.interp.top_losses.map((r) => ({ file: r.file, label: r.label, pred: r.pred, probs: r.probs })),
    cleaned: s.after ? { marks: s.before.marks, before_error_rate: s.before.interp.error_rate, after_error_rate: s.after.interp.error_rate } : null,
  };
}

/** cleaned.csv: every photo brought, minus deletions, relabels applied (file,label, as training reads it). */
export function cleanedFile(photos, split, marks) {
  return cleanedCsv(applyMarks(photos, split, marks).items.map(({ file, label }) => ({ file, label })));
}
