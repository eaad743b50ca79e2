// The widget's state {degree, wd, seed} <-> the page address, so a teacher can link
// to "degree 9 with weight decay 0.001 on sample 3": ?degree=9&wd=0.001&seed=3.
// Names get a prefix when a page needs two of these widgets (data-url-prefix="b-"
// gives ?b-degree=...). No DOM: `get(name)` is handed in, and the tests run it in Node.

import { DEFAULTS, MAX_DEGREE, MAX_SEED, WD_CHOICES } from "./model.js";

export const PARAMS = ["degree", "wd", "seed"];

/** {degree: "<prefix>degree", ...} */
export const paramNames = (prefix = "") => Object.fromEntries(PARAMS.map((p) => [p, `${prefix}${p}`]));

/** The allowed weight decay nearest to v (on a log scale; 0 only for values below the smallest). */
export function nearestWd(v) {
  if (!(v > 0)) return 0;
  const positive = WD_CHOICES.filter((c) => c > 0);
  if (v < positive[0] / Math.sqrt(10)) return 0;
  return positive.reduce((b, c) => (Math.abs(Math.log10(c / v)) < Math.abs(Math.log10(b / v)) ? c : b));
}

/** A weight decay as the address and the readout write it: 0, 0.001, 0.000001 (never 1e-6 in the URL). */
export function wdText(wd) {
  if (wd === 0) return "0";
  const digits = Math.max(0, -Math.floor(Math.log10(wd)));
  return wd.toFixed(digits);
}

const wholeNumber = (text) => (text !== null && /^\s*-?\d+\s*$/.test(text) ? Number(text) : null);

/**
 * Read {degree, wd, seed} from get(name) (a URL parameter or null). Anything missing
 * takes its default; anything unusable is replaced, and `notes` says what was changed.
 */
export function readState(get, prefix = "", maxDegree = MAX_DEGREE) {
  const names = paramNames(prefix);
  const notes = [];
  const state = { ...DEFAULTS };

  const rawDegree = get(names.degree);
  if (rawDegree !== null) {
    const d = wholeNumber(rawDegree);
    if (d === null) notes.push(`degree “${rawDegree}” is not a whole number; showing degree ${state.degree}.`);
    else {
      state.degree = Math.max(0, Math.min(maxDegree, d));
      if (state.degree !== d) notes.push(`degree ${d} is outside 0 to ${maxDegree}; showing degree ${state.degree}.`);
    }
  }

  const rawWd = get(names.wd);
  if (rawWd !== null) {
    const v = Number(rawWd);
    if (rawWd.trim() === "" || !Number.isFinite(v) || v < 0) notes.push(`weight decay “${rawWd}” is not a number ≥ 0; showing ${wdText(state.wd)}.`);
    else {
      state.wd = nearestWd(v);
      if (state.wd !== v) notes.push(`weight decay ${rawWd} is not on the slider; showing the nearest, ${wdText(state.wd)}.`);
    }
  }

  const rawSeed = get(names.seed);
  if (rawSeed !== null) {
    const s = wholeNumber(rawSeed);
    if (s === null || s < 0 || s > MAX_SEED) notes.push(`sample “${rawSeed}” should be a whole number from 0 to ${MAX_SEED}; showing sample ${state.seed}.`);
    else state.seed = s;
  }
  return { state, notes };
}

/** The address parameters for a state: [[name, value], ...]. */
export function writeState(state, prefix = "") {
  const names = paramNames(prefix);
  return [[names.degree, String(state.degree)], [names.wd, wdText(state.wd)], [names.seed, String(state.seed)]];
}
