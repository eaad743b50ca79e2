// The one-cycle schedule: learning rate and momentum at every step (no DOM).
//
// The same numbers as torch.optim.lr_scheduler.OneCycleLR with the lesson's settings
// (cosine annealing, two phases): warm-up over the first pct_start of the steps, lr from
// max_lr/div_factor up to max_lr while momentum (Adam's beta1) falls from max_momentum to
// base_momentum; then lr anneals to max_lr/div_factor/final_div_factor while momentum
// climbs back. training/bears/schedule.py writes the same curve out in Python.
//
// `cycle` also applies training/bears/train.py's rule for tiny runs,
// pct_start = max(pct_start, 1.5 / total): OneCycleLR divides by (pct_start * total - 1).

export const DEFAULTS = { pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4, baseMomentum: 0.85, maxMomentum: 0.95 };

/** Half a cosine from `start` (pct 0) to `end` (pct 1), as OneCycleLR._annealing_cos. */
export function cosAnneal(start, end, pct) {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

/** {lr, mom} at `step` (0-based) of a one-cycle schedule of `total` steps. */
export function oneCycle(step, total, maxLr, options = {}) {
  const { pctStart, divFactor, finalDivFactor, baseMomentum, maxMomentum } = { ...DEFAULTS, ...options };
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const warmupEnd = pctStart * total - 1; // where lr peaks (may be fractional)
  if (step <= warmupEnd) {
    const pct = step / warmupEnd;
    return { lr: cosAnneal(initialLr, maxLr, pct), mom: cosAnneal(maxMomentum, baseMomentum, pct) };
  }
  const pct = (step - warmupEnd) / (total - 1 - warmupEnd);
  return { lr: cosAnneal(maxLr, minLr, pct), mom: cosAnneal(baseMomentum, maxMomentum, pct) };
}

/** The whole schedule as training runs it: {pctStart (after the tiny-run rule), lrs, moms}. */
export function cycle(total, maxLr, options = {}) {
  if (!(total >= 2)) {
    throw new RangeError(`one cycle needs at least 2 steps, got ${total} (more epochs or a smaller bs)`);
  }
  const pctStart = Math.max(options.pctStart ?? DEFAULTS.pctStart, 1.5 / total);
  const lrs = new Float64Array(total);
  const moms = new Float64Array(total);
  for (let step = 0; step < total; step++) {
    const s = oneCycle(step, total, maxLr, { ...options, pctStart });
    lrs[step] = s.lr;
    moms[step] = s.mom;
  }
  return { pctStart, lrs, moms };
}
