// Training the head: the lesson's fit_one_cycle on the body's activations (no DOM).
//
// Mirrors training/bears/train.py's fit_one_cycle for stage 1 (the head on cached
// activations): AdamW (adamw.js) with the one-cycle lr and beta1 (schedule.js) of
// epochs * ceil(n / bs) steps, softmax cross-entropy (head.js), optional dropout before the
// Linear layer, and after each epoch the loss and error rate on the validation set. Every
// batch and epoch is reported as it happens, with the field names of train.py's history
// (lr, mom, loss; train_loss, valid_loss, error_rate, accuracy).

import { adamw } from "./adamw.js";
import { batchCount, epochOrder, gather } from "./data.js";
import { dropout as drop, lossAndGrads, predict, zeroGrads } from "./head.js";
import { argmaxRows } from "./interpret.js";
import { pacer } from "./pace.js";
import { PyRandom } from "./pyrandom.js";
import { cycle } from "./schedule.js";

const now = () => globalThis.performance?.now() ?? Date.now();

/** Mean cross-entropy and error rate of the head (eval mode: no dropout) on a data set. */
export function evaluate(head, ds) {
  const C = head.nLabels;
  const logp = predict(head, ds.feats, ds.n);
  const preds = argmaxRows(logp, ds.n, C);
  let loss = 0;
  let wrong = 0;
  for (let i = 0; i < ds.n; i++) {
    loss -= logp[i * C + ds.ys[i]];
    if (preds[i] !== ds.ys[i]) wrong++;
  }
  const n = Math.max(ds.n, 1);
  return { valid_loss: loss / n, error_rate: wrong / n, accuracy: 1 - wrong / n };
}

/**
 * Train `head` in place. Options: train, valid (data sets, data.js; valid may be null),
 * epochs, maxLr, bs, pctStart, wd, dropout (p), seed (batch order and dropout), order
 * (data.js epochOrder), onBatch(row), onEpoch(row), signal (AbortSignal: throws its reason),
 * pace (pace.js). Returns the history {batches, epochs}.
 */
// --8<-- [start:fit_one_cycle]
export async function fitOneCycle(head, options) {
  const { train, valid = null, epochs = 4, maxLr = 3e-3, bs = 32, pctStart = 0.25, wd = 0.01, dropout = 0,
    seed = 42, order = null, onBatch, onEpoch, signal, pace = pacer() } = options;
  const nb = batchCount(train.n, bs);
  const { lrs, moms } = cycle(epochs * nb, maxLr, { pctStart });
  const opt = adamw([head.weight, head.bias], { wd });
  const grads = zeroGrads(head);
  const orderOf = epochOrder(train.n, { seed, order });
  const dropRng = new PyRandom(seed + 1);
  const xb = new Float32Array(bs * head.nFeatures);
  const yb = new Int32Array(bs);
  const history = { batches: [], epochs: [] };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const t0 = now();
    const perm = orderOf(epoch);
    let sum = 0;
    for (let b = 0; b < nb; b++) {
      const step = epoch * nb + b;
      const n = gather(train, perm, b * bs, bs, xb, yb);
      drop(xb, n * head.nFeatures, dropout, dropRng);
      const loss = lossAndGrads(head, xb, yb, n, grads);
      opt.step([grads.weight, grads.bias], { lr: lrs[step], beta1: moms[step] });
      sum += loss;
      const row = { epoch, step, lr: lrs[step], mom: moms[step], loss };
      history.batches.push(row);
      onBatch?.(row);
      await pace(signal);
    }
    const row = { epoch, train_loss: sum / nb, ...(valid ? evaluate(head, valid) : {}), time: (now() - t0) / 1000 };
    history.epochs.push(row);
    onEpoch?.(row);
  }
  return history;
}
// --8<-- [end:fit_one_cycle]
