// The train/validation split, the same one training/bears/data.py's `split` makes (no DOM).
//
// Stratified: each label, taken in sorted order, has its files sorted by name, shuffled
// with one random.Random(seed) shared by all labels, and round(valid_pct * n) of them go
// to validation (Python's round: halves to even). A label with more than one photo keeps
// at least one for training and, when valid_pct > 0, gives at least one to validation.
// With the same names, labels, valid_pct and seed, the indices equal Python's.

import { PyRandom } from "./pyrandom.js";
import { pyCompare, pySortedUnique } from "./pystr.js";

/** Python's round() of a float to an int: ties go to the even neighbour. */
export function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** How many of a label's n photos go to validation. */
export function nValid(n, validPct) {
  let k = roundHalfEven(validPct * n);
  if (n > 1) k = Math.min(Math.max(k, validPct > 0 ? 1 : 0), n - 1); // at least one to train
  return k;
}

/**
 * @param {string[]} files  names (relative paths such as "black/x.jpg"; only their order
 *                          within a label matters)
 * @param {string[]} labels one per file
 * @returns {{train: number[], valid: number[], classes: string[]}} sorted indices into files
 */
export function split(files, labels, { validPct = 0.2, seed = 42 } = {}) {
  if (files.length !== labels.length) throw new Error(`split: ${files.length} files but ${labels.length} labels`);
  const rng = new PyRandom(seed);
  const classes = pySortedUnique(labels);
  const train = [];
  const valid = [];
  for (const lab of classes) {
    const idx = [];
    labels.forEach((l, i) => l === lab && idx.push(i));
    idx.sort((a, b) => pyCompare(String(files[a]), String(files[b]))); // stable, like sorted()
    rng.shuffle(idx);
    const k = nValid(idx.length, validPct);
    valid.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  const byNumber = (a, b) => a - b;
  return { train: train.sort(byNumber), valid: valid.sort(byNumber), classes };
}
