// How the figures write numbers. No DOM.

/** A learning rate, always with an exponent: 0.00190957 -> "1.91e-3". */
export function fmtLr(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  return v.toExponential(2).replace("e+", "e");
}

/** A loss: three significant digits, an exponent when tiny; null means it diverged. */
export function fmtLoss(v) {
  if (v === null || v === undefined) return "not a number (diverged)";
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return fmtLr(v);
  return String(Number(v.toPrecision(3)));
}

/** A rate as a percentage: 0.0283688 -> "2.84%". */
export function fmtPct(v, digits = 2) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  return `${(100 * v).toFixed(digits)}%`;
}

/** Momentum and other plain numbers between 0 and 1. */
export function fmtNum(v, digits = 3) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  return v.toFixed(digits);
}

/** A tick label: plain for 0.01..1000, otherwise 1e-3 style. */
export function fmtTick(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 0.01 && a < 1000) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential().split("e");
  return `${Number(Number(m).toPrecision(3))}e${Number(e)}`;
}

/** "lr_too_high" -> "lr too high" */
export const runTitle = (name) => String(name).replace(/_/g, " ");
