// Scales: data value <-> pixel, tick marks, and axis extents. No DOM.
//
// A scale is {kind, domain, range, map(v) -> px, invert(px) -> v, ticks(n) -> values}.
// On a log scale, values at or below the domain's low end (losses of exactly 0)
// map to the bottom edge instead of -Infinity.

const tidy = (v) => Number(v.toPrecision(12)); // 0.30000000000000004 -> 0.3

export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  return {
    kind: "linear",
    domain: [d0, d1],
    range: [r0, r1],
    map: (v) => r0 + ((v - d0) / span) * (r1 - r0),
    invert: (p) => d0 + ((p - r0) / (r1 - r0)) * span,
    ticks: (count = 5) => linearTicks(d0, d1, count),
  };
}

export function logScale([d0, d1], [r0, r1]) {
  const l0 = Math.log10(d0);
  const span = Math.log10(d1) - l0 || 1;
  return {
    kind: "log",
    domain: [d0, d1],
    range: [r0, r1],
    map: (v) => r0 + ((Math.log10(Math.max(v, d0)) - l0) / span) * (r1 - r0),
    invert: (p) => 10 ** (l0 + ((p - r0) / (r1 - r0)) * span),
    ticks: (count = 5) => logTicks(d0, d1, count),
  };
}

/** A step of 1, 2 or 5 times a power of ten giving about `count` ticks. */
export function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function linearTicks(d0, d1, count = 5) {
  if (!(d1 > d0)) return [d0];
  const step = niceStep(d1 - d0, count);
  const out = [];
  for (let k = Math.ceil(d0 / step - 1e-9); k * step <= d1 + step * 1e-9; k++) out.push(tidy(k * step));
  return out;
}

/** Powers of ten (every n-th when there are many decades; with 2 and 5 when there are few). */
export function logTicks(d0, d1, count = 5) {
  const lo = Math.ceil(Math.log10(d0) - 1e-9);
  const hi = Math.floor(Math.log10(d1) + 1e-9);
  const decades = hi - lo + 1;
  if (decades < 2) {
    const out = [];
    for (let e = lo - 1; e <= hi; e++) {
      for (const m of [1, 2, 5]) {
        const v = tidy(m * 10 ** e);
        if (v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  }
  const every = Math.ceil(decades / Math.max(count, 1));
  const out = [];
  for (let e = lo; e <= hi; e++) if ((e - lo) % every === 0) out.push(tidy(10 ** e));
  return out;
}

/** The finite numbers among `values` (nulls are diverged losses or absent groups). */
export const finite = (values) => values.filter((v) => typeof v === "number" && Number.isFinite(v));

/** [min, max] of the finite values, or null when there are none. */
export function extent(values) {
  const v = finite(values);
  if (!v.length) return null;
  let lo = v[0], hi = v[0];
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return [lo, hi];
}

/** Whether values spanning [lo, hi] read better on a log axis. */
export function wantsLog(values, spanOver, floor) {
  const pos = finite(values).filter((v) => v > floor);
  const e = extent(pos);
  return !!e && e[1] / e[0] > spanOver;
}

/** A log domain padded to whole decades, never below `floor`. */
export function logDomain(values, floor) {
  const e = extent(finite(values).filter((v) => v > floor));
  if (!e) return [floor, floor * 10];
  const lo = Math.max(10 ** Math.floor(Math.log10(e[0])), floor);
  let hi = 10 ** Math.ceil(Math.log10(e[1]));
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
}

/** A linear domain from 0 (or the minimum, if negative) to a little above the maximum. */
export function zeroDomain(values, minTop = 0) {
  const e = extent(values) || [0, 1];
  const hi = Math.max(e[1] * 1.08, minTop) || 1;
  return [Math.min(0, e[0]), hi];
}

/** Index of the value in ascending `xs` nearest to `v` (binary search). */
export function nearestIndex(xs, v) {
  if (!xs.length) return -1;
  let lo = 0, hi = xs.length - 1;
  if (v <= xs[lo]) return lo;
  if (v >= xs[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= v) lo = mid; else hi = mid;
  }
  return v - xs[lo] <= xs[hi] - v ? lo : hi;
}

