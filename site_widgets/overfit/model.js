// Under- and overfitting on a problem small enough to see whole: a few noisy
// points from a smooth curve, polynomials of degree 0..MAX_DEGREE fitted to the
// training points, with or without weight decay, and the error of each on
// points the fit never saw. No DOM: the view (overfit.js) only draws what this
// returns, and the tests run it in Node against NumPy.
//
// How the fit is solved, and why not the textbook formula
// ---------------------------------------------------------
// For degree d, the fit minimises   mean((V w - y)^2) + wd * (w_1^2 + ... + w_d^2)
// where V is the n x (d+1) matrix of powers [1, x, x^2, ..., x^d] of the training
// x. (The constant w0 is not decayed, as fastai leaves biases alone by default: a huge
// weight decay flattens the curve to the mean of y rather than pulling it to 0.)
// That is an ordinary least-squares problem on a taller matrix,
//     minimise || [V; sqrt(n wd) P] w - [y; 0] ||^2      (P: identity without its first row),
// solved here by Householder QR and back-substitution.
//
// The usual closed form, the normal equations (V^T V + n wd P^T P) w = V^T y, squares
// the condition number of V. Even with x kept in [-1, 1] (the feature is already scaled:
// every power stays between -1 and 1), V for 12 points at degree 11 has a condition
// number around 1e7 (6e7 for the default sample), so V^T V has about 1e15 and the
// normal equations keep almost none of the 16 digits a double carries: solved that way,
// the default sample's degree-11 weights come out 0.4% wrong and the curve misses the
// points it should pass through. QR works on V itself and agrees with NumPy's
// lstsq to about 1e-10. With wd = 0 at the highest degree the system is square, and
// QR solves it exactly: the curve passes through every training point.

export const MAX_DEGREE = 11; // = N_TRAIN - 1: the highest degree with a unique fit at wd = 0
export const N_TRAIN = 12;
export const N_VALID = 24;
export const NOISE = 0.25; // standard deviation of the noise added to every y
export const X_RANGE = [-1, 1];
export const WD_CHOICES = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
export const DEFAULTS = { degree: 3, wd: 0, seed: 1 };
export const MAX_SEED = 999999;

/** The smooth curve the points come from (what a perfect model would find). */
export const truth = (x) => Math.sin(Math.PI * x);

/** A seeded generator of uniform numbers in [0, 1) (mulberry32): same seed, same points. */
export function rng(seed) {
  let t = (seed >>> 0) + 0x9e3779b9;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from two uniform ones (Box-Muller). */
function gauss(next) {
  const u = 1 - next(); // (0, 1]: log(0) cannot happen
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** The training and validation points for one seed: x uniform in X_RANGE, y = truth(x) + noise. */
export function sample(seed, { nTrain = N_TRAIN, nValid = N_VALID, noise = NOISE } = {}) {
  const next = rng(seed);
  const draw = (n) => {
    const x = [], y = [];
    for (let i = 0; i < n; i++) {
      const xi = X_RANGE[0] + (X_RANGE[1] - X_RANGE[0]) * next();
      x.push(xi);
      y.push(truth(xi) + noise * gauss(next));
    }
    return { x, y };
  };
  const train = draw(nTrain);
  return { seed, train, valid: draw(nValid) };
}

/** Evaluate w0 + w1 x + ... + wd x^d (Horner). */
export function polyval(w, x) {
  let v = 0;
  for (let k = w.length - 1; k >= 0; k--) v = v * x + w[k];
  return v;
}

/** Mean squared error of the polynomial w on the points (xs, ys). */
export function mse(w, xs, ys) {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = polyval(w, xs[i]) - ys[i];
    s += d * d;
  }
  return s / xs.length;
}

/** The least-squares problem as rows: [V; sqrt(n wd) P] and [y; 0]. */
function stacked(xs, ys, degree, wd) {
  const p = degree + 1;
  const A = xs.map((x) => Array.from({ length: p }, (_, k) => x ** k));
  const b = ys.slice();
  const root = Math.sqrt(xs.length * wd);
  if (wd > 0) {
    for (let k = 1; k < p; k++) {
      const row = new Array(p).fill(0);
      row[k] = root;
      A.push(row);
      b.push(0);
    }
  }
  return { A, b };
}

/**
 * Solve min ||A w - b|| by Householder QR (A: m x p, m >= p, full column rank).
 * A and b are overwritten. Throws when a column is (numerically) a combination of others.
 */
export function lstsqQR(A, b) {
  const m = A.length, p = A[0].length;
  if (m < p) throw new Error(`${m} equations cannot fix ${p} unknowns`);
  for (let k = 0; k < p; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i][k] * A[i][k];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error(`column ${k} is all zeros`);
    const alpha = A[k][k] > 0 ? -norm : norm; // the sign that avoids cancellation
    const v = new Array(m).fill(0);
    v[k] = A[k][k] - alpha;
    for (let i = k + 1; i < m; i++) v[i] = A[i][k];
    const vv = v.reduce((s, vi, i) => (i >= k ? s + vi * vi : s), 0);
    if (vv > 0) {
      for (let j = k; j < p; j++) reflect(A, v, vv, k, (i) => A[i][j], (i, val) => { A[i][j] = val; });
      reflect(A, v, vv, k, (i) => b[i], (i, val) => { b[i] = val; });
    }
  }
  return backSubstitute(A, b, p);
}

/** Apply I - 2 v v^T / (v^T v) (rows k..m-1) to one column given by get/set. */
function reflect(A, v, vv, k, get, set) {
  let dot = 0;
  for (let i = k; i < A.length; i++) dot += v[i] * get(i);
  const f = (2 * dot) / vv;
  for (let i = k; i < A.length; i++) set(i, get(i) - f * v[i]);
}

function backSubstitute(R, b, p) {
  const scale = Math.max(...R.slice(0, p).map((row, i) => Math.abs(row[i])));
  const w = new Array(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    if (Math.abs(R[i][i]) <= scale * 1e-14) throw new Error("the powers of x are linearly dependent (repeated x values?)");
    let s = b[i];
    for (let j = i + 1; j < p; j++) s -= R[i][j] * w[j];
    w[i] = s / R[i][i];
  }
  return w;
}

/** The weights w0..wd of the degree-d polynomial fitted to (xs, ys) with weight decay wd. */
export function ridgeFit(xs, ys, degree, wd = 0) {
  if (!Number.isInteger(degree) || degree < 0) throw new Error(`degree must be a whole number >= 0, got ${degree}`);
  if (!(wd >= 0)) throw new Error(`weight decay must be >= 0, got ${wd}`);
  const { A, b } = stacked(xs, ys, degree, wd);
  return lstsqQR(A, b);
}

/** Training and validation error of every degree 0..maxDegree at this weight decay. */
export function errorCurve(data, wd, maxDegree = MAX_DEGREE) {
  return Array.from({ length: maxDegree + 1 }, (_, d) => {
    const w = ridgeFit(data.train.x, data.train.y, d, wd);
    return { degree: d, w, train: mse(w, data.train.x, data.train.y), valid: mse(w, data.valid.x, data.valid.y) };
  });
}

/** Everything the view shows for one state {degree, wd, seed}. */
export function explore({ degree, wd, seed }, maxDegree = MAX_DEGREE) {
  const data = sample(seed);
  const curve = errorCurve(data, wd, maxDegree);
  const best = curve.reduce((b, c) => (c.valid < b.valid ? c : b));
  return { data, curve, fit: curve[degree], best, noiseMse: NOISE * NOISE };
}

/** The curve of weights w at `count` evenly spaced x across X_RANGE, for drawing. */
export function sampleCurve(w, count = 241, [x0, x1] = X_RANGE) {
  return Array.from({ length: count }, (_, i) => {
    const x = x0 + ((x1 - x0) * i) / (count - 1);
    return [x, polyval(w, x)];
  });
}
