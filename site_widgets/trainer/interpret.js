// Interpretation of the head's predictions, as training/bears/interpret.py computes it
// (no DOM): the confusion matrix (rows actual, columns predicted), the most confused pairs,
// per-class recall and precision, and top losses (every photo, worst first) with the same
// field names, so the page can show the reader's run like the lesson's recorded ones.
// `logp` is log-probabilities, n rows of C (head.js predict).

import { pyCompare } from "./pystr.js";

/** Index of the largest value in each row (the first on ties, like torch.argmax). */
export function argmaxRows(logp, n, C) {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logp[i * C + c] > logp[i * C + best]) best = c;
    out[i] = best;
  }
  return out;
}

export function confusionMatrix(targets, preds, C) {
  const cm = Array.from({ length: C }, () => new Array(C).fill(0));
  targets.forEach((t, i) => cm[t][preds[i]]++);
  return cm;
}

/** The photos behind a cell of the confusion matrix: indices with that actual and predicted label. */
export function cellMembers(targets, preds, actual, predicted) {
  const out = [];
  targets.forEach((t, i) => t === actual && preds[i] === predicted && out.push(i));
  return out;
}

export function mostConfused(cm, classes, minCount = 1) {
  const pairs = [];
  cm.forEach((row, i) => row.forEach((count, j) => {
    if (i !== j && count >= minCount) pairs.push({ actual: classes[i], predicted: classes[j], count });
  }));
  return pairs.sort((a, b) => b.count - a.count || pyCompare(a.actual, b.actual) || pyCompare(a.predicted, b.predicted));
}

/** label -> {n, correct, recall, error_rate, predicted, precision}; undefined ratios are null. */
export function perClass(cm, classes) {
  const out = {};
  classes.forEach((c, i) => {
    const n = cm[i].reduce((a, b) => a + b, 0);
    const correct = cm[i][i];
    const predicted = cm.reduce((a, row) => a + row[i], 0);
    out[c] = { n, correct, recall: n ? correct / n : null, error_rate: n ? 1 - correct / n : null, predicted,
      precision: predicted ? correct / predicted : null };
  });
  return out;
}

/** Every photo (or the k worst), sorted by loss, worst first; ties keep their order. */
export function topLosses(logp, targets, files, classes, k = 0) {
  const C = classes.length;
  const rows = targets.map((t, i) => {
    const probs = Array.from(logp.subarray(i * C, (i + 1) * C), Math.exp);
    const p = probs.reduce((best, v, c) => (v > probs[best] ? c : best), 0);
    return { file: String(files[i]), label: classes[t], pred: classes[p], prob_pred: probs[p], prob_label: probs[t],
      loss: -logp[i * C + t], probs };
  });
  const order = rows.map((_, i) => i).sort((a, b) => rows[b].loss - rows[a].loss);
  return order.slice(0, k || order.length).map((i) => rows[i]);
}

/** Everything above and the headline numbers, like interpret.py's `interpretation`. */
export function interpretation(logp, targets, files, classes, k = 0) {
  targets = Array.from(targets);
  const n = targets.length;
  const C = classes.length;
  const preds = argmaxRows(logp, n, C);
  const cm = confusionMatrix(targets, preds, C);
  const nWrong = targets.reduce((a, t, i) => a + (preds[i] !== t ? 1 : 0), 0);
  const loss = n ? -targets.reduce((a, t, i) => a + logp[i * C + t], 0) / n : NaN;
  const err = n ? nWrong / n : NaN;
  return { n, loss, error_rate: err, accuracy: 1 - err, n_wrong: nWrong, classes, confusion: cm,
    per_class: perClass(cm, classes), most_confused: mostConfused(cm, classes),
    top_losses: topLosses(logp, targets, files, classes, k) };
}
