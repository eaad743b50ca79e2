// The head: one Linear layer from the body's activations to a logit per label, and the
// softmax cross-entropy loss with its gradient (no DOM).
//
// A head is {nFeatures, nLabels, weight, bias}: weight is a Float32Array of nLabels rows of
// nFeatures (torch's nn.Linear layout, (out, in)), bias a Float32Array of nLabels. Values are
// stored as float32 like PyTorch's; sums run in float64, so results agree with PyTorch to
// float32 rounding. A batch `xb` is a Float32Array of n rows of nFeatures, `yb` the label
// indices.

import { PyRandom } from "./pyrandom.js";

/** A fresh head, initialised like nn.Linear: weight and bias uniform in ±1/sqrt(nFeatures). */
export function linearHead(nFeatures, nLabels, { seed = 42 } = {}) {
  const rng = new PyRandom(seed);
  const bound = 1 / Math.sqrt(nFeatures);
  const uniform = () => -bound + 2 * bound * rng.random();
  const weight = Float32Array.from({ length: nLabels * nFeatures }, uniform);
  const bias = Float32Array.from({ length: nLabels }, uniform);
  return { nFeatures, nLabels, weight, bias };
}

export const cloneHead = (h) => ({ ...h, weight: h.weight.slice(), bias: h.bias.slice() });

/** Logits (Float64Array, n rows of nLabels) of n rows of activations. */
export function forward(head, xb, n, out = new Float64Array(n * head.nLabels)) {
  const { nFeatures: F, nLabels: C, weight: w, bias } = head;
  for (let i = 0; i < n; i++) {
    const x = i * F;
    for (let c = 0; c < C; c++) {
      const r = c * F;
      let s = 0;
      for (let j = 0; j < F; j++) s += xb[x + j] * w[r + j];
      out[i * C + c] = s + bias[c];
    }
  }
  return out;
}

/** log_softmax over each row of C values, in place. */
export function logSoftmax(z, n, C) {
  for (let i = 0; i < n; i++) {
    const r = i * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, z[r + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[r + c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) z[r + c] -= lse;
  }
  return z;
}

/** Log-probabilities (n rows of nLabels) of every row of `feats`: the head in eval mode. */
export const predict = (head, feats, n) => logSoftmax(forward(head, feats, n), n, head.nLabels);

/** Zeroed gradients shaped like the head's parameters. */
export const zeroGrads = (head) => ({ weight: new Float32Array(head.weight.length), bias: new Float32Array(head.nLabels) });

/**
 * F.cross_entropy(head(xb), yb) (the mean over the batch) and its gradient, written into
 * `grads` (overwritten, like zero_grad then backward). Returns the loss.
 */
export function lossAndGrads(head, xb, yb, n, grads) {
  const { nFeatures: F, nLabels: C } = head;
  const z = logSoftmax(forward(head, xb, n), n, C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    loss -= z[i * C + yb[i]];
    for (let c = 0; c < C; c++) {
      const k = i * C + c;
      z[k] = (Math.exp(z[k]) - (c === yb[i] ? 1 : 0)) / n; // d loss / d logit
    }
  }
  const gw = new Float64Array(F);
  for (let c = 0; c < C; c++) {
    gw.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const g = z[i * C + c];
      const x = i * F;
      for (let j = 0; j < F; j++) gw[j] += g * xb[x + j];
      gb += g;
    }
    grads.weight.set(gw, c * F);
    grads.bias[c] = gb;
  }
  return loss / n;
}

/** nn.Dropout(p) in training mode on the first `len` values of x, in place: each is zeroed with
 *  probability p (a 32-bit draw of `rng`, a PyRandom, below p * 2**32), the others scaled by
 *  1/(1-p). Seeded: the same run twice drops the same activations. */
export function dropout(x, len, p, rng) {
  if (!(p > 0)) return x;
  const scale = 1 / (1 - p);
  const below = p * 4294967296;
  const draws = rng.fill(new Uint32Array(len));
  for (let j = 0; j < len; j++) x[j] = draws[j] < below ? 0 : x[j] * scale;
  return x;
}
