// How widgets write numbers for readers. No DOM.

/** A number for a readout: fixed for ordinary values, an exponent for huge or tiny ones. */
export function fmt(x, digits = 4) {
  if (!Number.isFinite(x)) return String(x);
  const ax = Math.abs(x);
  return ax !== 0 && (ax >= 1e5 || ax < 1e-3) ? x.toExponential(2) : x.toFixed(digits);
}
