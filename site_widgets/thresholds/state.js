// The thresholds widget's choices <-> the page address, so a teacher can link to
// "grizzly at 4.5, sure 0.9": ?t-grizzly=4.5&sure=0.9&beta=2. No DOM: `get(name)` is
// handed in (a URL parameter or null), and the tests run this in Node.

export const BETAS = [0.5, 1, 2]; // F0.5 weighs precision more, F2 recall more (the planet data's metric)
export const SURE_RANGE = [0.34, 0.99]; // below 1/3 every top label of three is "sure"

const num = (text) => (text !== null && text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : null);
const round = (v, digits) => Number(v.toFixed(digits));

/**
 * Read {thresholds, sure, beta} from the address; the shipped model's values are the default.
 * `ranges[k]` bounds label k's threshold. Unusable values are replaced and `notes` says so.
 */
export function readState(get, data, ranges) {
  const notes = [];
  const thresholds = data.thresholds.map((t, k) => {
    const name = data.classes[k];
    const raw = get(`t-${name}`);
    if (raw === null) return t;
    const v = num(raw);
    if (v === null) {
      notes.push(`threshold “${raw}” for ${name} is not a number; showing the shipped ${round(t, 2)}.`);
      return t;
    }
    const [lo, hi] = ranges[k];
    const c = Math.min(hi, Math.max(lo, v));
    if (c !== v) notes.push(`threshold ${v} for ${name} is outside ${lo} to ${hi}; showing ${c}.`);
    return c;
  });
  let sure = data.sure;
  const rawSure = get("sure");
  if (rawSure !== null) {
    const v = num(rawSure);
    if (v === null || v < SURE_RANGE[0] || v > SURE_RANGE[1]) {
      notes.push(`“sure” must be a number from ${SURE_RANGE[0]} to ${SURE_RANGE[1]}; showing the shipped ${round(sure, 2)}.`);
    } else sure = v;
  }
  let beta = 1;
  const rawBeta = get("beta");
  if (rawBeta !== null) {
    const v = num(rawBeta);
    if (!BETAS.includes(v)) notes.push(`beta “${rawBeta}” is not one of ${BETAS.join(", ")}; showing F1.`);
    else beta = v;
  }
  return { state: { thresholds, sure, beta }, notes };
}

/** Address parameters for a state: [[name, value | null], ...] (null: the default, left out). */
export function writeState(state, data) {
  const out = data.classes.map((name, k) => [`t-${name}`, state.thresholds[k] === data.thresholds[k] ? null : String(round(state.thresholds[k], 2))]);
  out.push(["sure", state.sure === data.sure ? null : String(round(state.sure, 2))]);
  out.push(["beta", state.beta === 1 ? null : String(state.beta)]);
  return out;
}
