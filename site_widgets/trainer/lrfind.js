// The learning-rate finder on the head, as training/bears/lr_finder.py runs it (no DOM).
//
// Train a copy of the head for up to numIt mini-batches while the lr grows exponentially
// from startLr to endLr (AdamW, betas (0.9, 0.99)); record each batch's loss before the
// step, smooth it (moving average with bias correction), stop once the smoothed loss
// passes divFactor times its minimum (after 10 steps) or the loss is not finite. The
// head passed in is never changed. `suggest` marks where the smoothed loss falls fastest
// against log10(lr) before its minimum, and the minimum's lr / 10. The result has the
// fields of lr_find.json (lrs, losses, smoothed, stopped, suggested_lr, min_lr_div10...),
// so what draws the recorded curve can draw this one.

import { adamw } from "./adamw.js";
import { batchCount, epochOrder, gather } from "./data.js";
import { cloneHead, dropout as drop, lossAndGrads, zeroGrads } from "./head.js";
import { pacer } from "./pace.js";
import { PyRandom } from "./pyrandom.js";

/** Python's f"{x:.2e}": 1.00e-07 */
export function sci2(x) {
  const [m, e] = x.toExponential(2).split("e");
  const n = Math.abs(Number(e));
  return `${m}e${e.startsWith("-") ? "-" : "+"}${n < 10 ? "0" : ""}${n}`;
}

/** Options: train (data.js), bs, startLr, endLr, numIt, beta, stopDiv, divFactor, wd, dropout,
 *  seed, order, skipStart (steps the suggestion ignores), onStep({i, lr, loss, smoothed}), signal, pace. */
export async function lrFind(head, options) {
  const { train, bs = 32, startLr = 1e-7, endLr = 10, numIt = 200, beta = 0.98, stopDiv = true, divFactor = 4,
    wd = 0.01, dropout = 0, seed = 42, order = null, skipStart = 10, onStep, signal, pace = pacer() } = options;
  const h = cloneHead(head);
  const opt = adamw([h.weight, h.bias], { wd });
  const grads = zeroGrads(h);
  const orderOf = epochOrder(train.n, { seed, order });
  const dropRng = new PyRandom(seed + 1);
  const nb = batchCount(train.n, bs);
  const xb = new Float32Array(bs * h.nFeatures);
  const yb = new Int32Array(bs);
  const mult = (endLr / startLr) ** (1 / Math.max(numIt - 1, 1));
  const res = { lrs: [], losses: [], smoothed: [], stopped: "reached end_lr" };
  let avg = 0;
  let best = Infinity;
  let perm = null;
  for (let i = 0; i < numIt; i++) {
    const lr = startLr * mult ** i;
    if (i % nb === 0) perm = orderOf(i / nb); // an epoch ended: start another one
    const n = gather(train, perm, (i % nb) * bs, bs, xb, yb);
    drop(xb, n * h.nFeatures, dropout, dropRng);
    const loss = lossAndGrads(h, xb, yb, n, grads);
    if (!Number.isFinite(loss)) {
      res.stopped = `loss became ${Number.isNaN(loss) ? "nan" : loss > 0 ? "inf" : "-inf"} at lr=${sci2(lr)}`;
      break;
    }
    opt.step([grads.weight, grads.bias], { lr });
    avg = beta * avg + (1 - beta) * loss;
    const smooth = avg / (1 - beta ** (i + 1)); // bias correction: early values are not pulled to 0
    res.lrs.push(lr);
    res.losses.push(loss);
    res.smoothed.push(smooth);
    best = Math.min(best, smooth);
    onStep?.({ i, lr, loss, smoothed: smooth });
    if (stopDiv && i > 10 && smooth > divFactor * best) {
      res.stopped = `smoothed loss passed ${divFactor}x its minimum at lr=${sci2(lr)}`;
      break;
    }
    await pace(signal);
  }
  return { ...res, ...suggest(res.lrs, res.smoothed, skipStart) };
}

/** numpy.gradient(f, x) (second-order inside, first-order at the ends; at least 2 points). */
export function gradient(f, x) {
  const n = f.length;
  const dx = Array.from({ length: n - 1 }, (_, i) => x[i + 1] - x[i]);
  const out = new Float64Array(n);
  out[0] = (f[1] - f[0]) / dx[0];
  out[n - 1] = (f[n - 1] - f[n - 2]) / dx[n - 2];
  const uniform = dx.every((d) => d === dx[0]);
  for (let i = 1; i < n - 1; i++) {
    if (uniform) {
      out[i] = (f[i + 1] - f[i - 1]) / (2 * dx[0]);
      continue;
    }
    const [d1, d2] = [dx[i - 1], dx[i]];
    const a = -d2 / (d1 * (d1 + d2));
    const b = (d2 - d1) / (d1 * d2);
    const c = d1 / (d2 * (d1 + d2));
    out[i] = a * f[i - 1] + b * f[i] + c * f[i + 1];
  }
  return out;
}

const argmin = (xs) => xs.reduce((best, v, i) => (v < xs[best] ? i : best), 0);

/** Steepest descent of the smoothed loss (before its minimum), and minimum / 10. */
export function suggest(lrs, smoothed, skipStart = 10) {
  if (lrs.length < skipStart + 3) return { suggested_lr: null, min_lr_div10: null };
  const iMin = argmin(smoothed);
  const lo = Math.min(skipStart, Math.max(iMin - 2, 0));
  const hi = Math.max(iMin, lo + 2);
  const grad = gradient(smoothed.slice(lo, hi + 1), lrs.slice(lo, hi + 1).map(Math.log10));
  const iSteep = lo + argmin(grad);
  return { suggested_lr: lrs[iSteep], suggested_index: iSteep, min_lr_div10: lrs[iMin] / 10, min_index: iMin };
}
