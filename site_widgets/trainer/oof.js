// Out-of-fold predictions, to rank photos for cleaning (no DOM).
//
// A head judging the photos it was trained on has learned their labels, right or wrong,
// so a mislabelled photo looks fine to it. Here the photos are dealt into k folds
// (stratified: each label, in index order, is shuffled with random.Random(seed) and dealt
// round-robin, so every fold has its share of every label); for each fold a fresh head is
// trained on the other k-1 folds and predicts the fold. Every photo's probabilities thus
// come from a head that never saw it.
//
// Suspect score = 1 - p(given label), out of fold: the probability that a head which never
// saw the photo puts on the other labels. 0 means "clearly what its label says"; near 1
// means "clearly something else": mislabelled, off-topic, or a hard case. The ranking
// (highest first) is what the cleaning step walks through.

import { subset } from "./data.js";
import { fitOneCycle } from "./fit.js";
import { linearHead, predict } from "./head.js";
import { argmaxRows } from "./interpret.js";
import { PyRandom } from "./pyrandom.js";

/** fold[i] for every photo: stratified by label, seeded. */
export function assignFolds(ys, k, seed = 42) {
  const rng = new PyRandom(seed);
  const fold = new Int32Array(ys.length);
  const labels = [...new Set(ys)].sort((a, b) => a - b);
  let next = 0; // continue the deal across labels so small labels do not all land in fold 0
  for (const lab of labels) {
    const idx = [];
    ys.forEach((y, i) => y === lab && idx.push(i));
    rng.shuffle(idx).forEach((i) => (fold[i] = next++ % k));
  }
  return fold;
}

/**
 * Options: k (folds, default 5), nLabels, seed, folds (a fold per photo, instead of
 * assignFolds), fit (options for fitOneCycle: epochs, maxLr, bs, dropout...),
 * onFold({fold, k, trainIdx, heldOut}), signal, pace.
 * Returns {probs (Float64Array, n rows of nLabels), fold (Int32Array)}.
 */
export async function outOfFold(ds, { k = 5, nLabels, seed = 42, folds = null, fit = {}, onFold, signal, pace } = {}) {
  if (!(k >= 2)) throw new RangeError(`out-of-fold needs k >= 2 folds, got ${k}`);
  const fold = folds ? Int32Array.from(folds) : assignFolds(Array.from(ds.ys), k, seed);
  const probs = new Float64Array(ds.n * nLabels);
  for (let f = 0; f < k; f++) {
    const heldOut = [];
    const trainIdx = [];
    fold.forEach((g, i) => (g === f ? heldOut : trainIdx).push(i));
    if (!heldOut.length) continue;
    const head = linearHead(ds.nFeatures, nLabels, { seed: seed + f });
    await fitOneCycle(head, { seed: seed + f, ...fit, train: subset(ds, trainIdx), valid: null, signal, pace });
    const logp = predict(head, subset(ds, heldOut).feats, heldOut.length);
    heldOut.forEach((i, r) => {
      for (let c = 0; c < nLabels; c++) probs[i * nLabels + c] = Math.exp(logp[r * nLabels + c]);
    });
    onFold?.({ fold: f, k, trainIdx, heldOut });
  }
  return { probs, fold };
}

/** Photos ranked by suspect score (1 - out-of-fold p(given label)), highest first; ties by index. */
export function suspects(probs, ys, classes) {
  const C = classes.length;
  const preds = argmaxRows(probs, ys.length, C);
  const rows = Array.from(ys, (y, index) => {
    const p = Array.from(probs.subarray(index * C, (index + 1) * C));
    return { index, label: classes[y], pred: classes[preds[index]], prob_label: p[y], prob_pred: p[preds[index]],
      suspect: 1 - p[y], probs: p };
  });
  return rows.sort((a, b) => b.suspect - a.suspect || a.index - b.index);
}
