// The loss surface of the SGD widget, without DOM: the mean squared error of y = x@a over
// the two coefficients (a0, a1), the curvature that limits the learning rate, and what the
// drawings show (contours, the run's path, the steps along the steepest direction).
// The tests check these numbers against NumPy (tests/test_linfit_surface.py).
//
// The MSE is quadratic in a:  L(a) = L* + (a - a*)ᵀ A (a - a*),  A = xᵀx / n,
// so its Hessian is the same everywhere, H = 2A, and gradient descent on all the points
// moves every eigen-direction of H on its own: along an eigenvector of eigenvalue λ the
// distance to the best a is multiplied by (1 - lr·λ) each step. The steepest direction
// (λmax) overshoots first: lr < 2/λmax. With momentum β (heavy ball, what
// torch.optim.SGD(momentum=β) does) the distance follows d' = (1 + β - lr·λ)·d - β·d_prev,
// which shrinks exactly when lr·λ < 2(1 + β).

import { fmt } from "../common/format.js";

const dot = (u, v) => u[0] * v[0] + u[1] * v[1];
const sub = (u, v) => [u[0] - v[0], u[1] - v[1]];

/** Eigenvalues and unit eigenvectors of a symmetric 2x2 matrix, the largest first. */
export function eig2([[p, q], [, r]]) {
  const mean = (p + r) / 2;
  const radius = Math.hypot((p - r) / 2, q);
  // the eigenvalue of larger size from mean ± radius, the other from their product (the
  // determinant): mean - radius alone loses the small one when the two are far apart
  let [hi, lo] = [mean + radius, mean - radius];
  if (mean > 0) lo = (p * r - q * q) / hi;
  else if (mean < 0) hi = (p * r - q * q) / lo;
  // the larger one's eigenvector is at angle atan2(2q, p - r)/2; the other at right angles
  const theta = Math.atan2(2 * q, p - r) / 2;
  const signed = (v) => (v[0] < 0 || (v[0] === 0 && v[1] < 0) ? [-v[0], -v[1]] : v); // first component >= 0
  return [
    { value: hi, vector: signed([Math.cos(theta), Math.sin(theta)]) },
    { value: lo, vector: signed([-Math.sin(theta), Math.cos(theta)]) },
  ];
}

/** MSE of x@a against y (the core's formula, in the same order). */
export function mse(x, y, a) {
  let total = 0;
  for (let i = 0; i < y.length; i += 1) {
    const d = x[i][0] * a[0] + x[i][1] * a[1] - y[i];
    total += d * d;
  }
  return total / y.length;
}

/** The quadratic of the MSE on data x (rows [x_i, 1]), y: A, the Hessian, the best a and loss, the eigen-directions. */
export function quadratic(x, y) {
  const n = y.length;
  const A = [[0, 0], [0, 0]];
  const b = [0, 0];
  for (let i = 0; i < n; i += 1) {
    for (const j of [0, 1]) {
      b[j] += (x[i][j] * y[i]) / n;
      for (const k of [0, 1]) A[j][k] += (x[i][j] * x[i][k]) / n;
    }
  }
  const det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
  const best = [(b[0] * A[1][1] - A[0][1] * b[1]) / det, (A[0][0] * b[1] - A[1][0] * b[0]) / det];
  const hessian = A.map((row) => row.map((v) => 2 * v));
  const [steep, flat] = eig2(hessian);
  return { A, hessian, best, bestLoss: mse(x, y, best), steep, flat };
}

/** L(a) from the quadratic (equal to mse(x, y, a) up to rounding). */
export const lossAt = (q, a) => {
  const d = sub(a, q.best);
  return q.bestLoss + dot(d, [q.A[0][0] * d[0] + q.A[0][1] * d[1], q.A[1][0] * d[0] + q.A[1][1] * d[1]]);
};

/** The largest learning rate whose steps on all the points do not grow: 2(1 + β)/λmax. */
export const lrLimit = (q, momentum = 0) => (2 * (1 + momentum)) / q.steep.value;

/**
 * What a step does along a direction of curvature λ, at learning rate lr and momentum β:
 * the distance to the best a is multiplied by the roots z of z² - (1 + β - lr·λ)z + β = 0
 * (for β = 0, z = 1 - lr·λ). `factor`: the largest |z|, the shrink (< 1) or growth (> 1) per step.
 * kind: "creeps" (same side, shrinking), "lands" (at the bottom in one step), "zigzags"
 * (across the bottom, shrinking), "swings" (momentum: round and round, shrinking),
 * "bounces" (across and back, forever) or "diverges" (across, growing).
 */
export function stepKind(lr, momentum, lambda) {
  const h = lr * lambda;
  const c = 1 + momentum - h;
  const disc = c * c - 4 * momentum;
  if (disc < 0) return { h, factor: Math.sqrt(momentum), z: null, kind: "swings" };
  const roots = [(c + Math.sqrt(disc)) / 2, (c - Math.sqrt(disc)) / 2];
  const z = Math.abs(roots[0]) >= Math.abs(roots[1]) ? roots[0] : roots[1];
  const eps = 1e-12;
  let kind;
  if (Math.abs(z) <= eps) kind = "lands";
  else if (z > 0) kind = z < 1 - eps ? "creeps" : "diverges";
  else kind = z > -1 + eps ? "zigzags" : z >= -1 - eps ? "bounces" : "diverges";
  return { h, factor: Math.abs(z), z, kind };
}

/** Contour levels for a view: from just above the best loss to the loss at the view's far corner,
 *  each ellipse about 2/3 the size of the next (levels spaced by 0.45 in L - L*). */
export function contourLevels(q, box, count = 9) {
  const corners = [[box.lo[0], box.lo[1]], [box.lo[0], box.hi[1]], [box.hi[0], box.lo[1]], [box.hi[0], box.hi[1]]];
  const top = Math.max(...corners.map((c) => lossAt(q, c))) - q.bestLoss;
  return Array.from({ length: count }, (_, i) => q.bestLoss + top * 0.45 ** (i + 1));
}

/** Points of the contour L(a) = level: an ellipse around the best a, axes along the eigenvectors. */
export function ellipse(q, level, points = 96) {
  const excess = level - q.bestLoss;
  if (!(excess > 0)) return [];
  // along an eigenvector of H (eigenvalue λ), L - L* = λ/2 · t², so t = sqrt(2·excess/λ)
  const r1 = Math.sqrt((2 * excess) / q.steep.value);
  const r2 = Math.sqrt((2 * excess) / q.flat.value);
  const [u, v] = [q.steep.vector, q.flat.vector];
  return Array.from({ length: points + 1 }, (_, i) => {
    const t = (2 * Math.PI * i) / points;
    const c = r1 * Math.cos(t);
    const s = r2 * Math.sin(t);
    return [q.best[0] + c * u[0] + s * v[0], q.best[1] + c * u[1] + s * v[1]];
  });
}

/**
 * The part of (a0, a1) to draw for a run: the start, the best a and every point of the path
 * whose loss stays under twice the start's (a run that diverges leaves the view), with a margin.
 */
export function viewBox(q, path, losses) {
  const keep = [path[0], q.best, ...path.filter((a, k) => losses[k] <= 2 * losses[0])];
  const lo = [0, 1].map((j) => Math.min(...keep.map((a) => a[j])));
  const hi = [0, 1].map((j) => Math.max(...keep.map((a) => a[j])));
  const pad = 0.12 * Math.max(hi[0] - lo[0], hi[1] - lo[1], 1e-9);
  return { lo: lo.map((v) => v - pad), hi: hi.map((v) => v + pad) };
}

/** Distance of a from the best a along the steepest direction (signed). */
export const alongSteep = (q, a) => dot(sub(a, q.best), q.steep.vector);

/**
 * The 1-D view: the run's points k, k+1, ... (up to `count` steps) as distances t along the
 * steepest direction, where the loss is L* + λmax/2 · t². `settled`: the run is at the bottom
 * along this direction (within 1e-9 of where it started), so there is no step to show.
 */
export function steepSteps(q, run, k, count = 3) {
  const t = run.a.slice(k, k + count + 1).map((a) => alongSteep(q, a));
  const start = Math.abs(alongSteep(q, run.a[0]));
  return { t, lambda: q.steep.value, settled: Math.max(...t.map(Math.abs)) <= 1e-9 * Math.max(start, 1e-300) };
}

const views = new WeakMap(); // run -> its view box and contours (they do not change while it plays)

/** What the contour map and the 1-D view show for `run` at step k. */
export function picture(q, run, k) {
  if (!views.has(run)) {
    const box = viewBox(q, run.a, run.loss);
    const levels = contourLevels(q, box);
    views.set(run, { box, levels, contours: levels.map((level) => ellipse(q, level)) });
  }
  return { ...views.get(run), best: q.best, steep: q.steep.vector, path: run.a.slice(0, k + 1), steps: steepSteps(q, run, k) };
}

// ------------------------------------------------------------------ what the reader reads

const pct = (v) => `${(100 * v).toFixed(v > 0.995 && v < 1 ? 1 : 0)}%`;
const n3 = (v) => fmt(v, 3);

/** The limit as the lr control marks it: {value, text}. */
export function limitNote(q, momentum) {
  const value = lrLimit(q, momentum);
  const formula = momentum ? `2(1 + ${momentum})/λmax` : "2/λmax";
  return { value, text: `Above lr = ${n3(value)} (${formula}, λmax = ${n3(q.steep.value)}), steps on all the points overshoot and grow.` };
}

const KIND = {
  creeps: (k) => `keeps ${pct(k.z)} of the distance to the bottom, on the same side: it creeps down`,
  lands: () => "lands at the bottom",
  zigzags: (k) => `overshoots to the other side, but lower, keeping ${pct(-k.z)} of the distance: it zigzags down`,
  swings: (k) => `swings across the bottom and back, each swing ${pct(k.factor)} of the one before (√β)`,
  bounces: () => "lands as high on the other side: it bounces for ever",
  diverges: (k) => `overshoots to higher than it started, the distance growing ×${n3(k.factor)}: the run diverges`,
};

/** What a step does at these settings, along the steepest and the flattest direction. */
export function stepsNote(q, { lr, momentum = 0, batch_size: batch = 0 }, lessonCode = true) {
  const steep = stepKind(lr, momentum, q.steep.value);
  const flat = stepKind(lr, momentum, q.flat.value);
  let text = `Steepest direction (dashed; lr·λmax = ${n3(steep.h)}): each step ${KIND[steep.kind](steep)}`;
  text += steep.kind === "creeps" && !momentum ? ` (lr = 1/λmax = ${n3(1 / q.steep.value)} would land in one step).` : ".";
  text += ` Flattest direction (lr·λmin = ${n3(flat.h)}): each step ${KIND[flat.kind](flat)}.`;
  if (steep.factor < 1 && flat.factor < 1) {
    const same = Math.abs(steep.factor - flat.factor) < 1e-9;
    const which = same ? "Both directions" : `The ${steep.factor > flat.factor ? "steepest" : "flattest"} direction`;
    text += ` ${which}, keeping ${pct(Math.max(steep.factor, flat.factor))} of the distance a step, set${same ? "" : "s"} how many steps the run needs.`;
  }
  if (batch) text += " (All this holds for steps on all the points: each mini-batch has its own curvature, so its steps wander.)";
  if (!lessonCode) text += " (For the lesson's update(); yours may step differently.)";
  return { text, steep, flat };
}
