// The body's activations as a data set, and its mini-batches (no DOM).
//
// A data set is {feats, ys, n, nFeatures}: feats a Float32Array of n rows of nFeatures
// (one row per photo, what the body outputs), ys an Int32Array of label indices.
// Mini-batches follow a permutation of the rows per epoch, like a DataLoader with
// shuffle=True: by default random.Random(seed) shuffles range(n) once per epoch (the
// generator continues from epoch to epoch); tests pass PyTorch's own permutations as
// `order` (an array of permutations, one per epoch, cycled, or a function of the epoch).

import { PyRandom } from "./pyrandom.js";

export function dataset(feats, ys, nFeatures) {
  const n = ys.length;
  if (feats.length !== n * nFeatures) {
    throw new Error(`activations: ${feats.length} values for ${n} photos of ${nFeatures} features`);
  }
  return { feats: Float32Array.from(feats), ys: Int32Array.from(ys), n, nFeatures };
}

/** The rows `idx` of a data set, copied. */
export function subset(ds, idx) {
  const F = ds.nFeatures;
  const feats = new Float32Array(idx.length * F);
  idx.forEach((i, k) => feats.set(ds.feats.subarray(i * F, (i + 1) * F), k * F));
  return { feats, ys: Int32Array.from(idx, (i) => ds.ys[i]), n: idx.length, nFeatures: F };
}

/** epoch -> the order of the rows in that epoch (call with epochs 0, 1, 2... in turn). */
export function epochOrder(n, { seed = 42, order = null } = {}) {
  if (typeof order === "function") return order;
  if (order) return (epoch) => order[epoch % order.length];
  const rng = new PyRandom(seed);
  return () => rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

export const batchCount = (n, bs) => Math.ceil(n / bs);

/** Copy the rows perm[start .. start+bs) into xb / yb; returns how many (the last batch is short). */
export function gather(ds, perm, start, bs, xb, yb) {
  const F = ds.nFeatures;
  const end = Math.min(start + bs, perm.length);
  for (let k = start; k < end; k++) {
    const i = perm[k];
    xb.set(ds.feats.subarray(i * F, (i + 1) * F), (k - start) * F);
    yb[k - start] = ds.ys[i];
  }
  return end - start;
}
